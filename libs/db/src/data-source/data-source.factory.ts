import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { coordinatorMigrations, dealerMigrations, teacherMigrations } from '@conclave/migrations';
import { entitiesFor, type SchemaKind } from '../entities/index.js';
import { SnakeNamingStrategy } from '../entities/snake-naming.strategy.js';
import { lockDataDir } from '../embedded/data-dir.lock.js';

export interface DatabaseOptions {
  schema: SchemaKind;
  /** PostgreSQL connection string. When absent, an embedded PGlite database is used. */
  databaseUrl?: string;
  /** PGlite data directory; when absent too, PGlite runs in memory (tests). */
  dataDir?: string;
  /** Connection pool size on PostgreSQL (PGlite is always one connection). */
  poolSize?: number;
  logging?: boolean;
}

/** A DataSource that also closes the embedded PGlite instance it owns. */
class EmbeddedDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    private readonly pglite: PGlite,
    private readonly unlock: () => void,
  ) {
    super(options);
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) await super.destroy();
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      this.unlock();
    }
  }
}

export function migrationsFor(schema: SchemaKind): Function[] {
  switch (schema) {
    case 'coordinator':
      return coordinatorMigrations;
    case 'teacher':
      return teacherMigrations;
    case 'dealer':
      return dealerMigrations;
  }
}

function baseOptions(options: Pick<DatabaseOptions, 'schema' | 'logging'>) {
  return {
    type: 'postgres' as const,
    entities: entitiesFor(options.schema),
    migrations: migrationsFor(options.schema),
    migrationsTableName: 'schema_migrations',
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built into PostgreSQL ≥ 13 (and PGlite): no extension to install.
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    // Off unless asked for: TypeORM's own log lines print query parameters, which may be private values.
    logging: options.logging ? ['query' as const, 'error' as const] : false,
  };
}

/**
 * Creates (does not initialize) the DataSource of a service: PostgreSQL when a URL is given,
 * otherwise embedded PGlite. The same entities and migrations serve both.
 */
export async function createDataSource(options: DatabaseOptions): Promise<DataSource> {
  if (options.databaseUrl) {
    return new DataSource({
      ...baseOptions(options),
      url: options.databaseUrl,
      extra: { max: options.poolSize ?? 10 },
    } as DataSourceOptions);
  }
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => undefined;
  try {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    const pglite = await PGlite.create(options.dataDir);
    return new EmbeddedDataSource(pgliteDataSourceOptions(options.schema, pglite), pglite, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * Options for a DataSource over an existing PGlite instance (owned by the caller). PGlite is a single
 * connection: TypeORM gets a pool of exactly one, through PGlite's own node-postgres adapter.
 */
export function pgliteDataSourceOptions(schema: SchemaKind, pglite: PGlite): DataSourceOptions {
  const pgConfig = createPgConfig(pglite);
  return {
    ...baseOptions({ schema }),
    extra: { ...pgConfig, connection: pgConfig.connection, max: 1 },
  } as DataSourceOptions;
}

/** Creates, initializes and migrates a service's database. */
export async function openDatabase(options: DatabaseOptions & { migrate?: boolean }): Promise<DataSource> {
  const dataSource = await createDataSource(options);
  await dataSource.initialize();
  try {
    if (options.migrate !== false) await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Runs pending migrations, each in its own transaction. On PostgreSQL an advisory lock serializes
 * services that boot at the same time against the same database.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const embedded = dataSource instanceof EmbeddedDataSource;
  const lockRunner = embedded ? null : dataSource.createQueryRunner();
  try {
    if (lockRunner) await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    if (lockRunner) {
      await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await lockRunner.release();
    }
  }
}

/** Schema changes still needed after the migrations: empty when entities and migrations agree. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

const MIGRATION_LOCK_KEY = 7_305_117_001;
