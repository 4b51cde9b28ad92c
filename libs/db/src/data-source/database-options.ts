import { join } from 'node:path';
import type { SchemaKind } from '../entities/index.js';
import type { DatabaseOptions } from './data-source.factory.js';

/** The URL of the embedded coordinator database served on loopback by `conclave db serve`. */
export function embeddedCoordinatorUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/**
 * Where a service's database is. PostgreSQL when DATABASE_URL is set. Otherwise: the coordinator
 * services share the embedded server on loopback; a teacher or the dealer opens its own PGlite
 * directory `<CONCLAVE_DATA_DIR>/<service>/db`.
 */
export function databaseOptionsFor(
  schema: SchemaKind,
  service: string,
  env: { DATABASE_URL?: string; CONCLAVE_DATA_DIR: string; CONCLAVE_EMBEDDED_DB_PORT?: number },
): DatabaseOptions {
  if (env.DATABASE_URL) return { schema, databaseUrl: env.DATABASE_URL };
  if (schema === 'coordinator') {
    return { schema, databaseUrl: embeddedCoordinatorUrl(env.CONCLAVE_EMBEDDED_DB_PORT ?? 54329), poolSize: 4 };
  }
  return { schema, dataDir: join(env.CONCLAVE_DATA_DIR, service, 'db') };
}
