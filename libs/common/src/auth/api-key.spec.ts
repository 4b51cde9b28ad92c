import { describe, expect, it } from '@jest/globals';
import { apiKeySecretMatches, generateApiKey, hashApiKeySecret, parseApiKey } from './api-key.js';

describe('API keys', () => {
  it('generates keys that parse back to their prefix and match their stored hash', () => {
    const { key, prefix, secretHash } = generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed?.prefix).toBe(prefix);
    expect(secretHash).toBe(hashApiKeySecret(parsed!.secret));
    expect(apiKeySecretMatches(parsed!.secret, secretHash)).toBe(true);
    expect(key).not.toContain(secretHash);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });

  it('rejects a wrong secret and malformed keys', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(apiKeySecretMatches(parseApiKey(b.key)!.secret, a.secretHash)).toBe(false);
    for (const bad of [
      '',
      'ck_',
      'Bearer x',
      `${a.key}x`,
      a.key.replace('ck_', 'pk_'),
      'ck_zzzzzzzzzzzz_' + 'a'.repeat(43),
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });
});
