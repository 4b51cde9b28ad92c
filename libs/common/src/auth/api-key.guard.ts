import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { API_KEY_HEADER, type Role } from '@conclave/contracts';
import { DomainError } from '../errors/domain.error.js';
import { apiKeySecretMatches, parseApiKey } from './api-key.js';
import { PUBLIC_ROUTE, ROUTE_ROLES } from './auth.decorators.js';
import { API_KEY_STORE, type ApiKeyStore, type Principal } from './principal.js';

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/** Global guard: every route needs a valid API key of an admitted role, except @Public ones. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEY_STORE) private readonly store: ApiKeyStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const presented = presentedKey(request.headers);
    if (!presented) throw new DomainError('UNAUTHENTICATED', 'An API key is required (Authorization: Bearer <key>)');
    const parsed = parseApiKey(presented);
    const stored = parsed ? await this.store.findActiveByPrefix(parsed.prefix) : null;
    if (!parsed || !stored || !apiKeySecretMatches(parsed.secret, stored.secretHash)) {
      throw new DomainError('UNAUTHENTICATED', 'The API key is not valid or has been revoked');
    }
    request.principal = { keyId: stored.id, role: stored.role, partyId: stored.partyId, label: stored.label };

    const admitted = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targets) ?? ['admin'];
    if (!admitted.includes(stored.role)) {
      throw new DomainError('FORBIDDEN', `This operation needs one of the roles: ${admitted.join(', ')}`);
    }
    return true;
  }
}

function presentedKey(headers: GuardedRequest['headers']): string | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization === 'string' && /^Bearer\s+/i.test(authorization)) {
    return authorization.replace(/^Bearer\s+/i, '').trim();
  }
  const header = headers[API_KEY_HEADER];
  return typeof header === 'string' ? header.trim() : undefined;
}
