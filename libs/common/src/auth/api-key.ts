import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ck_<prefix>_<secret>`: the prefix (12 hex chars) finds the stored row, the
 * secret (32 random bytes, base64url) is checked against its SHA-256. A slow password hash is not
 * needed: the secret has 256 bits of entropy, so the hash cannot be brute-forced.
 */
const KEY_PATTERN = /^ck_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  /** Shown once to the person who created it; never stored. */
  key: string;
  prefix: string;
  secretHash: string;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `ck_${prefix}_${secret}`, prefix, secretHash: hashApiKeySecret(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1]!, secret: match[2]! } : null;
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
