import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apiKeySecretMatches, parseApiKey } from '@conclave/common';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { ApiKeyRepository } from './api-key.repository.js';

describe('ApiKeyRepository', () => {
  let db: TestDatabase;
  let keys: ApiKeyRepository;
  beforeAll(async () => {
    db = await createTestDatabase('teacher');
    keys = new ApiKeyRepository(db.dataSource);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('stores only a hash of the secret and finds the key by its prefix', async () => {
    const created = await keys.create({ role: 'guardian', label: 'guardian of consortium A' });
    const parsed = parseApiKey(created.key)!;
    const stored = await keys.findActiveByPrefix(parsed.prefix);
    expect(stored).toMatchObject({ id: created.id, role: 'guardian', label: 'guardian of consortium A' });
    expect(apiKeySecretMatches(parsed.secret, stored!.secretHash)).toBe(true);
    const raw: Array<Record<string, string>> = await db.dataSource.query('SELECT * FROM api_key WHERE id = $1', [
      created.id,
    ]);
    expect(JSON.stringify(raw)).not.toContain(parsed.secret);
  });

  it('no longer finds a revoked key, and revoking twice reports nothing to revoke', async () => {
    const created = await keys.create({ role: 'admin', label: 'temporary' });
    expect(await keys.revoke(created.id)).toBe(true);
    expect(await keys.findActiveByPrefix(parseApiKey(created.key)!.prefix)).toBeNull();
    expect(await keys.revoke(created.id)).toBe(false);
    expect((await keys.list()).find((k) => k.id === created.id)?.revokedAt).toBeInstanceOf(Date);
  });
});
