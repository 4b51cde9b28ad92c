import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DataSource } from 'typeorm';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
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
    const server: PGLiteSocketServer = new PGLiteSocketServer({
      // Called only while the server runs a connection's message, so `server` is set by then.
      db: serializeProtocolCycles(pglite, { onNotification: (message) => broadcast(server, message) }),
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

/**
 * Writes a NotificationResponse to every open connection of the server (pglite-socket 0.2.17 keeps them in its
 * `handlers`, each with its socket; test: notification-relay.medium-spec.ts). It is called while the notifying
 * connection's message runs — the server runs one message at a time — so every other connection is between two
 * messages of its own. A connection that did not LISTEN gets notifications it ignores (node-postgres emits them).
 */
function broadcast(server: PGLiteSocketServer, message: Uint8Array): void {
  const handlers = (server as unknown as { handlers?: Set<{ socket?: Socket | null }> }).handlers;
  for (const handler of handlers ?? []) {
    const socket = handler.socket;
    if (socket && socket.writable) socket.write(message);
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
