import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { databaseOptionsFor, type DatabaseOptions, type SchemaKind } from '@conclave/db';
import { provisionApiKey } from './key-provisioning.js';
import { SERVICE_SCRIPTS } from './repo-paths.js';
import { spawnService, type ServiceProcess, type SpawnServiceOptions } from './service-process.js';

export interface PlatformOptions {
  /** Root of embedded databases, logs and local credentials. */
  dataDir: string;
  /** Teacher services to run, one per data owner. */
  teachers: string[];
  /** Fixed ports (npm start) or 0 everywhere (tests). */
  ports: 'default' | 'ephemeral';
  /**
   * PostgreSQL instead of the embedded default: one database per party is created on this server
   * (the coordinator's, and each teacher's and the dealer's own), named `<databasePrefix>_<service>`.
   */
  postgres?: { adminUrl: string; databasePrefix: string };
  logLevel?: string;
  /** Extra environment per service name (e.g. { aggregator: { LABELING_BATCH_SIZE: '4' } }). */
  env?: Record<string, Record<string, string>>;
}

export interface ServiceInfo {
  name: string;
  url: string;
  /** An admin key of this service (local credentials of the launcher's operator). */
  adminKey: string;
}

export interface Platform {
  services: Record<string, ServiceInfo>;
  /** Where the coordinator database is (the embedded server, or the PostgreSQL database). */
  coordinatorUrl: string;
  processes: Record<string, ServiceProcess>;
  credentialsFile: string;
  /**
   * Stops one service (SIGKILL with `kill: true`, as a crash) and starts it again on the same port with the
   * same configuration.
   */
  restart(name: string, options?: { kill?: boolean }): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The embedded database server's V8 heap: its live JavaScript heap is small (~40 MB) but it allocates a few MB per
 * thousand queries (protocol messages in and out of PGlite), and V8 keeps the old generation's limit just above the
 * live size, so it ran a full mark-compact every ~1.5 MB — about one per second under a labeling job, a third of the
 * process's CPU. Starting the old generation at 256 MB leaves those to the idle-time memory reducer
 * (bench:labeling; docs/benchmarks.md). Set on the command line: V8 reads it only when the heap is created.
 */
export const EMBEDDED_DB_NODE_OPTIONS = ['--initial-old-space-size=256'];

/**
 * The services' V8 heap, for the same reason: a teacher service holds ~60 MB of live heap (its models) and receives
 * ~0.8 MB per vote request, the guardian sends and parses as much per batch; with V8's defaults (a young generation
 * of a few MB, the old generation's limit just above the live size) a teacher ran a scavenge per request and a full
 * mark-compact every few seconds under a labeling job. A 32 MB young generation from the start and the old
 * generation starting at 256 MB leave them a scavenge every few requests (bench:labeling, --trace-gc: GC time of a
 * teacher service during the measured jobs 0.8 s -> 0.2 s).
 */
export const SERVICE_NODE_OPTIONS = [
  '--min-semi-space-size=32',
  '--max-semi-space-size=32',
  ...EMBEDDED_DB_NODE_OPTIONS,
];

const DEFAULT_PORTS = { db: 54329, api: 3000, aggregator: 3001, student: 3002, dealer: 3003, teacher: 3100 };

interface ServiceSpec {
  name: string;
  schema: SchemaKind;
  script: string;
  env: Record<string, string>;
  port: number;
}

/**
 * Runs the whole consortium as processes on loopback — the topology of docker-compose.yml: the
 * coordinator database, api, guardian (aggregator), student, dealer and one teacher service per data
 * owner, each teacher with its own database. Provisions an admin key per service on first start and
 * keeps them in `<dataDir>/credentials.json` (mode 0600).
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logDir = join(dataDir, 'logs');
  const processes: Record<string, ServiceProcess> = {};
  const launches: Record<string, SpawnServiceOptions> = {};
  const stopAll = async () => {
    await Promise.all(
      Object.values(processes)
        .reverse()
        .map((p) => p.stop()),
    );
  };
  const port = (name: keyof typeof DEFAULT_PORTS, offset = 0) =>
    options.ports === 'ephemeral' ? 0 : DEFAULT_PORTS[name] + offset;
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    CONCLAVE_DATA_DIR: dataDir,
    LOG_LEVEL: options.logLevel ?? 'info',
  };

  try {
    // The coordinator database: the embedded server, or a PostgreSQL database.
    let coordinatorUrl: string;
    const fresh = new Set<string>();
    if (!existsSync(join(dataDir, 'coordinator', 'db'))) fresh.add('coordinator');
    if (options.postgres) {
      coordinatorUrl = await createDatabase(options.postgres, 'coordinator');
    } else {
      processes.db = await spawnService({
        name: 'db',
        script: SERVICE_SCRIPTS.db,
        args: ['db', 'serve', '--data-dir', join(dataDir, 'coordinator', 'db'), '--port', String(port('db'))],
        nodeOptions: EMBEDDED_DB_NODE_OPTIONS,
        env: common,
        logFile: join(logDir, 'db.log'),
      });
      coordinatorUrl = processes.db.url;
    }

    const specs: ServiceSpec[] = [
      { name: 'api', schema: 'coordinator', script: SERVICE_SCRIPTS.api, env: {}, port: port('api') },
      {
        name: 'aggregator',
        schema: 'coordinator',
        script: SERVICE_SCRIPTS.aggregator,
        env: {},
        port: port('aggregator'),
      },
      { name: 'student', schema: 'coordinator', script: SERVICE_SCRIPTS.student, env: {}, port: port('student') },
      { name: 'dealer', schema: 'dealer', script: SERVICE_SCRIPTS.dealer, env: {}, port: port('dealer') },
      ...options.teachers.map((id, i) => ({
        name: `teacher-${id}`,
        schema: 'teacher' as const,
        script: SERVICE_SCRIPTS.teacher,
        env: { TEACHER_ID: id },
        port: port('teacher', i),
      })),
    ];
    const databaseUrls: Record<string, string> = {};
    for (const spec of specs) {
      if (spec.schema === 'coordinator') databaseUrls[spec.name] = coordinatorUrl;
      else if (options.postgres) databaseUrls[spec.name] = await createDatabase(options.postgres, spec.name);
    }
    const databaseOf = (spec: ServiceSpec): DatabaseOptions =>
      databaseUrls[spec.name]
        ? { schema: spec.schema, databaseUrl: databaseUrls[spec.name] }
        : databaseOptionsFor(spec.schema, spec.name, { CONCLAVE_DATA_DIR: dataDir });

    const credentialsFile = join(dataDir, 'credentials.json');
    for (const spec of specs) {
      const own = databaseOf(spec);
      if (own.dataDir && !existsSync(own.dataDir)) fresh.add(spec.name);
      if (spec.schema === 'coordinator' && fresh.has('coordinator')) fresh.add(spec.name);
    }
    // Keys are reused across restarts of the embedded platform, unless their database is new.
    const adminKeys = await ensureAdminKeys(
      credentialsFile,
      specs,
      databaseOf,
      (name) => !options.postgres && !fresh.has(name),
    );

    // Services start in parallel: each waits only for its own database.
    const started = await Promise.allSettled(
      specs.map(async (spec) => {
        const env: Record<string, string> = {
          ...common,
          ...spec.env,
          ...options.env?.[spec.name],
          PORT: String(spec.port),
        };
        if (databaseUrls[spec.name]) env.DATABASE_URL = databaseUrls[spec.name]!;
        if (spec.schema === 'coordinator' && !options.postgres) {
          env.CONCLAVE_EMBEDDED_DB_PORT = new URL(coordinatorUrl).port;
        }
        launches[spec.name] = {
          name: spec.name,
          script: spec.script,
          nodeOptions: SERVICE_NODE_OPTIONS,
          env,
          logFile: join(logDir, `${spec.name}.log`),
        };
        processes[spec.name] = await spawnService(launches[spec.name]!);
      }),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const services: Record<string, ServiceInfo> = {};
    for (const spec of specs) {
      services[spec.name] = { name: spec.name, url: processes[spec.name]!.url, adminKey: adminKeys[spec.name]! };
    }
    const restart = async (name: string, restartOptions: { kill?: boolean } = {}) => {
      const launch = launches[name];
      const running = processes[name];
      if (!launch || !running) throw new Error(`No service ${name} to restart`);
      if (restartOptions.kill) {
        const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
        running.child.kill('SIGKILL');
        await exited;
      }
      await running.stop();
      const port = new URL(running.url).port;
      processes[name] = await spawnService({ ...launch, env: { ...launch.env, PORT: port } });
      return processes[name]!;
    };
    return { services, coordinatorUrl, processes, credentialsFile, restart, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function ensureAdminKeys(
  file: string,
  specs: ServiceSpec[],
  databaseOf: (spec: ServiceSpec) => DatabaseOptions,
  reusable: (service: string) => boolean,
): Promise<Record<string, string>> {
  const saved: Record<string, string> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
    : {};
  const keys: Record<string, string> = {};
  for (const spec of specs) {
    if (saved[spec.name] && reusable(spec.name)) {
      keys[spec.name] = saved[spec.name]!;
      continue;
    }
    const created = await provisionApiKey(databaseOf(spec), {
      role: 'admin',
      label: `${spec.name} operator (launcher)`,
    });
    keys[spec.name] = created.key;
  }
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

async function createDatabase(
  postgres: { adminUrl: string; databasePrefix: string },
  service: string,
): Promise<string> {
  const name = `${postgres.databasePrefix}_${service}`.replace(/[^a-z0-9_]/g, '_');
  const client = new pg.Client({ connectionString: postgres.adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(postgres.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the databases a PostgreSQL-mode platform created (tests). */
export async function dropDatabases(postgres: { adminUrl: string; databasePrefix: string }): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.adminUrl });
  await client.connect();
  try {
    const rows = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${postgres.databasePrefix}\\_%`,
    ]);
    for (const { datname } of rows.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
