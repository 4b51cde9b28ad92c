/** Roles a credential can carry. Every route but /health names the roles it admits. */
export const ROLES = ['admin', 'querying-party', 'teacher', 'guardian', 'dealer', 'student'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Kinds of party in a consortium. */
export const PARTY_KINDS = ['data-owner', 'querying-party', 'operator'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];
