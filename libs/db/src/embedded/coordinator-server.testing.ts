import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../data-source/data-source.factory.js';
import { createPostgresDatabase } from '../testing/test-database.js';
import { startEmbeddedServer } from './embedded-server.js';

/**
 * A migrated coordinator database reachable over the wire protocol, as api, guardian and student reach it: a fresh
 * database on the PostgreSQL server of DATABASE_URL, or else the embedded PGlite server on loopback (tests only).
 */
export async function startCoordinatorServerForTest(
  prefix: string,
): Promise<{ url: string; teardown: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const created = await createPostgresDatabase(process.env.DATABASE_URL, prefix);
    const migrated = await openDatabase({ schema: 'coordinator', databaseUrl: created.url });
    await migrated.destroy();
    return { url: created.url, teardown: created.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), `conclave-${prefix}-`));
  const server = await startEmbeddedServer({ dataDir: join(dir, 'db'), port: 0 });
  return {
    url: server.url,
    teardown: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
