import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../data-source/data-source.factory.js';
import type { SchemaKind } from '../entities/index.js';

export interface TestDatabase {
  dataSource: DataSource;
  /** The PostgreSQL URL of the fresh database, when running against PostgreSQL. */
  url?: string;
  engine: 'pglite' | 'postgres';
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or — when DATABASE_URL is
 * set — a new database created on that PostgreSQL server and dropped afterwards.
 */
export async function createTestDatabase(schema: SchemaKind): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataSource = await openDatabase({ schema });
    return { dataSource, engine: 'pglite', cleanup: () => dataSource.destroy() };
  }
  const { url, drop } = await createPostgresDatabase(adminUrl, `test_${schema}`);
  const dataSource = await openDatabase({ schema, databaseUrl: url, poolSize: 4 });
  return {
    dataSource,
    url,
    engine: 'postgres',
    cleanup: async () => {
      await dataSource.destroy();
      await drop();
    },
  };
}

/** Creates an empty database with a random name on the server of `adminUrl`. */
export async function createPostgresDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `conclave_${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
