import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface CorrelationStore {
  correlationId: string;
}

const storage = new AsyncLocalStorage<CorrelationStore>();
const VALID_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The correlation id of the request (or job step) being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** Accepts a caller-supplied id only if it is short and harmless; otherwise mints one. */
export function acceptOrMintCorrelationId(candidate: unknown): string {
  return typeof candidate === 'string' && VALID_ID.test(candidate) ? candidate : randomUUID();
}

/** Runs `fn` with `correlationId` visible to logs and outgoing service calls. */
export function runWithCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run({ correlationId }, fn);
}
