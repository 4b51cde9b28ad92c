import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../errors/domain.error.js';
import { generateApiKey, parseApiKey } from './api-key.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { PUBLIC_ROUTE, ROUTE_ROLES } from './auth.decorators.js';
import type { ApiKeyStore, Principal, StoredApiKey } from './principal.js';

function contextFor(headers: Record<string, string>, metadata: Record<string, unknown>) {
  const request: { headers: Record<string, string>; principal?: Principal } = { headers };
  const handler = () => undefined;
  for (const [key, value] of Object.entries(metadata)) Reflect.defineMetadata(key, value, handler);
  const context = {
    getHandler: () => handler,
    getClass: () => class {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

function storeWith(...keys: StoredApiKey[]): ApiKeyStore & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    findActiveByPrefix: async (prefix) => {
      lookups.push(prefix);
      return keys.find((k) => k.id === prefix) ?? null;
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    return error instanceof DomainError ? error.code : 'other';
  }
}

describe('ApiKeyGuard', () => {
  const guardianKey = generateApiKey();
  const stored: StoredApiKey = {
    id: guardianKey.prefix,
    secretHash: guardianKey.secretHash,
    role: 'guardian',
    partyId: null,
    label: 'g',
  };
  const guard = new ApiKeyGuard(new Reflector(), storeWith(stored));

  it('lets anyone through a public route without looking up a key', async () => {
    const store = storeWith(stored);
    const { context } = contextFor({}, { [PUBLIC_ROUTE]: true });
    expect(await new ApiKeyGuard(new Reflector(), store).canActivate(context)).toBe(true);
    expect(store.lookups).toEqual([]);
  });

  it('answers UNAUTHENTICATED without a key, with a malformed key, and with a wrong secret', async () => {
    const wrongSecret = `ck_${guardianKey.prefix}_${parseApiKey(generateApiKey().key)!.secret}`;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${wrongSecret}` },
      { 'x-api-key': generateApiKey().key },
    ];
    for (const headers of cases) {
      expect(await codeOf(guard.canActivate(contextFor(headers, { [ROUTE_ROLES]: ['guardian'] }).context))).toBe(
        'UNAUTHENTICATED',
      );
    }
  });

  it('admits a role the route names and attaches the principal', async () => {
    const { context, request } = contextFor(
      { authorization: `Bearer ${guardianKey.key}` },
      { [ROUTE_ROLES]: ['guardian', 'admin'] },
    );
    expect(await guard.canActivate(context)).toBe(true);
    expect(request.principal).toEqual({ keyId: stored.id, role: 'guardian', partyId: null, label: 'g' });
  });

  it('answers FORBIDDEN for a valid key of another role, and admits only admin where no roles are declared', async () => {
    expect(
      await codeOf(
        guard.canActivate(contextFor({ 'x-api-key': guardianKey.key }, { [ROUTE_ROLES]: ['teacher'] }).context),
      ),
    ).toBe('FORBIDDEN');
    expect(await codeOf(guard.canActivate(contextFor({ 'x-api-key': guardianKey.key }, {}).context))).toBe('FORBIDDEN');
  });
});
