import type { ErrorCode } from '@conclave/contracts';

/**
 * A domain error with a code from the closed set in @conclave/contracts.
 * The message is shown to clients: it must name what was wrong (field, row, limit) but never
 * contain a private value (record, vote, logit, key).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}

/** The DomainError a promise rejects with (for tests); any other outcome throws. */
export async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}
