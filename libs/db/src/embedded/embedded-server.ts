import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DataSource } from 'typeorm';
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './data-dir.lock.js';
import { serializeProtocolCycles } from './protocol-cycle.guard.js';
import { pgliteDataSourceOptions } from '../data-source/data-source.factory.js';

export interface EmbeddedServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The embedded coordinator database: one PGlite instance (data directory on disk) served over the
 * PostgreSQL wire protocol on loopback, so that api, guardian and student — separate processes —
 * share it exactly as they share a PostgreSQL server in production. pglite-socket multiplexes
 * connections and runs an open transaction's statements exclusively, so transactions stay isolated;
 * serializeProtocolCycles makes it do the same for each extended-protocol cycle (Parse … Sync), which
 * it would otherwise interleave across connections.
 * Coordinator migrations are applied before it accepts connections.
 */
export async function startEmbeddedServer(options: {
  dataDir: string;
  host?: string;
  port?: number;
  maxConnections?: number;
}): Promise<EmbeddedServer> {
  const unlock = lockDataDir(options.dataDir);
  mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir);
  try {
    await migrate(pglite);
    const host = options.host ?? '127.0.0.1';
    const server = new PGLiteSocketServer({
      db: serializeProtocolCycles(pglite),
      host,
      port: options.port ?? 0,
      maxConnections: options.maxConnections ?? 64,
    });
    await server.start();
    const port = Number(server.getServerConn().split(':').at(-1));
    return {
      url: `postgres://postgres@${host}:${port}/postgres`,
      port,
      stop: async () => {
        await server.stop();
        await pglite.close();
        unlock();
      },
    };
  } catch (error) {
    await pglite.close();
    unlock();
    throw error;
  }
}

async function migrate(pglite: PGlite): Promise<void> {
  const dataSource = new DataSource(pgliteDataSourceOptions('coordinator', pglite));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
