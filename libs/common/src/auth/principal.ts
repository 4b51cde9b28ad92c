import type { Role } from '@conclave/contracts';

/** Who is calling: resolved from an API key by the guard, attached to the request. */
export interface Principal {
  keyId: string;
  role: Role;
  partyId: string | null;
  label: string;
}

/** A stored credential, as the key store returns it. */
export interface StoredApiKey {
  id: string;
  secretHash: string;
  role: Role;
  partyId: string | null;
  label: string;
}

/** Where the guard looks keys up; each service provides one backed by its own database. */
export interface ApiKeyStore {
  findActiveByPrefix(prefix: string): Promise<StoredApiKey | null>;
}

export const API_KEY_STORE = Symbol('API_KEY_STORE');
