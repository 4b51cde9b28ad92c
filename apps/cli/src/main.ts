#!/usr/bin/env node
import 'reflect-metadata';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { createLogger } from '@conclave/common';
import { isRole, ROLES, type Role } from '@conclave/contracts';
import { databaseOptionsFor, startEmbeddedServer, type SchemaKind } from '@conclave/db';
import { provisionApiKey } from './platform/key-provisioning.js';
import { startPlatform } from './platform/platform-launcher.js';
import type { DemoCliOptions } from './demo/demo.command.js';

const program = new Command('conclave').description('Conclave: private collaborative labeling (PATE / CaPC)');

program
  .command('start')
  .description('run the whole platform on this machine (embedded databases unless DATABASE_URL is set)')
  .option('--data-dir <dir>', 'where embedded databases, logs and local credentials live', '.conclave')
  .option('--teachers <ids>', 'comma-separated teacher (data owner) ids', 'a,b,c')
  .action(async (opts: { dataDir: string; teachers: string }) => {
    const adminUrl = process.env.DATABASE_URL;
    const platform = await startPlatform({
      dataDir: opts.dataDir,
      teachers: opts.teachers
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      ports: 'default',
      postgres: adminUrl ? { adminUrl, databasePrefix: 'conclave' } : undefined,
    });
    const api = platform.services.api!;
    process.stdout.write(
      [
        '',
        'Conclave is running.',
        ...Object.values(platform.services).map((s) => `  ${s.name.padEnd(12)} ${s.url}   (OpenAPI: ${s.url}/docs)`),
        '',
        `API:          ${api.url}   — try: curl -H "authorization: Bearer <key>" ${api.url}/v1/whoami`,
        `Admin keys:   ${platform.credentialsFile} (one per service; keep it private)`,
        `Logs:         ${resolve(opts.dataDir, 'logs')}`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
    const shutdown = async () => {
      process.stdout.write('stopping…\n');
      await platform.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  });

program
  .command('demo')
  .description(
    "the platform's main job on this machine: MNIST hospitals train teachers, the guardian labels a student's queries " +
      'with Confident-GNMax, the student is trained and accepted, the teachers discarded; prints the table',
  )
  .option('--full', "Scalable PATE's setting: 250 teachers on all 60,000 training images, 640 queries (≈ 30-60 min)")
  .option('--json', 'end with the table as one JSON object on the last line of stdout')
  .option(
    '--data-dir <dir>',
    'where the demo keeps its databases, logs and credentials (replaced each run)',
    '.conclave/demo',
  )
  .option('--ephemeral-ports', 'any free ports instead of the defaults (3000, 3001, …)')
  .option('--keep-running', 'leave the platform running after the table (default when stdout is a terminal)')
  .option('--no-keep-running', 'stop the platform after the table')
  .option('--hospitals <n>', 'teacher services (one per hospital)')
  .option('--teachers-per-hospital <n>', 'partitions (teachers) per hospital')
  .option('--queries <n>', 'queries the labeling job asks')
  .option('--pool <n>', "the student's pool: the first n MNIST test images")
  .option('--teacher-epochs <n>', 'epochs per teacher')
  .option('--student-preset <preset>', 'quick | full')
  .option('--threshold <T>', 'Confident-GNMax threshold')
  .option('--sigma1 <s>', 'Confident-GNMax threshold-check noise')
  .option('--sigma2 <s>', 'Confident-GNMax answer noise')
  .option('--epsilon-limit <eps>', 'the budget: ε at δ=1e-5 after which queries are refused (default 8)')
  .action(async (opts: DemoCliOptions) => {
    const { runDemoCommand } = await import('./demo/demo.command.js');
    await runDemoCommand(opts);
  });

const db = program.command('db').description('the embedded coordinator database');
db.command('serve')
  .description(
    'serve the embedded coordinator database (PGlite) over the PostgreSQL protocol on loopback ' +
      '(run under node --initial-old-space-size=256, as `conclave start` does)',
  )
  .option('--data-dir <dir>', 'PGlite data directory', '.conclave/coordinator/db')
  .option('--port <port>', 'loopback port (0: any free port)', '54329')
  .action(async (opts: { dataDir: string; port: string }) => {
    const logger = createLogger('coordinator-db');
    const server = await startEmbeddedServer({ dataDir: resolve(opts.dataDir), port: Number(opts.port) });
    logger.info({ url: server.url }, 'listening');
    const stop = async () => {
      await server.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description("issue an API key directly into a service's database (e.g. the first admin); prints it once")
  .requiredOption('--service <name>', 'api | aggregator | student | dealer | teacher-<id>')
  .addOption(new Option('--role <role>', 'role of the key').choices([...ROLES]).makeOptionMandatory())
  .requiredOption('--label <label>', 'who or what the key is for')
  .option('--party <uuid>', 'consortium party the key acts for (coordinator services and the dealer)')
  .option('--data-dir <dir>', 'embedded data directory root', '.conclave')
  .option('--embedded-db-port <port>', 'port of the embedded coordinator database', '54329')
  .action(
    async (opts: {
      service: string;
      role: string;
      label: string;
      party?: string;
      dataDir: string;
      embeddedDbPort: string;
    }) => {
      if (!isRole(opts.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const schema = schemaOf(opts.service);
      const database = databaseOptionsFor(schema, opts.service, {
        DATABASE_URL: process.env.DATABASE_URL,
        CONCLAVE_DATA_DIR: opts.dataDir,
        CONCLAVE_EMBEDDED_DB_PORT: Number(opts.embeddedDbPort),
      });
      const created = await provisionApiKey(database, {
        role: opts.role as Role,
        label: opts.label,
        partyId: opts.party,
      });
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(
        `key ${created.id} (${created.role}) for ${opts.service}: shown once, stored only as a hash\n`,
      );
    },
  );

const teacher = program.command('teacher').description("a data owner's teacher service");
teacher
  .command('load-mnist')
  .description('upload disjoint slices of the MNIST training set to a teacher service, one partition each')
  .requiredOption('--url <url>', 'base URL of the teacher service, e.g. http://127.0.0.1:3100')
  .requiredOption('--key <key>', "the data owner's (admin) key at that service")
  .option('--dataset <name>', 'the consortium dataset', 'mnist')
  .option('--partitions <n>', 'how many partitions', '1')
  .option('--per-partition <m>', 'MNIST training records per partition', '240')
  .option('--offset <k>', 'first MNIST training record of the first partition', '0')
  .option('--name-prefix <prefix>', 'partitions are named <prefix>-<index>', 'p')
  .action(
    async (opts: {
      url: string;
      key: string;
      dataset: string;
      partitions: string;
      perPartition: string;
      offset: string;
      namePrefix: string;
    }) => {
      const partitions = positiveInteger(opts.partitions, '--partitions');
      const perPartition = positiveInteger(opts.perPartition, '--per-partition');
      const offset = Number(opts.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new Error('--offset must be a non-negative integer');
      if (offset + partitions * perPartition > 60_000) {
        throw new Error('MNIST has 60,000 training records: --offset + --partitions x --per-partition exceeds it');
      }
      // Loaded on demand: it brings TensorFlow.js's package (for MNIST's files), which the other commands do not need.
      const { loadMnistPartitions } = await import('./teacher/mnist-loader.js');
      await loadMnistPartitions({
        url: opts.url.replace(/\/+$/, ''),
        key: opts.key,
        dataset: opts.dataset,
        partitions,
        perPartition,
        offset,
        namePrefix: opts.namePrefix,
        onLoaded: ({ name, records, first }) =>
          process.stdout.write(
            `${opts.dataset}/${name}: ${records} records (MNIST train ${first}-${first + records - 1})\n`,
          ),
      });
    },
  );

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${option} must be a positive integer`);
  return n;
}

const capc = program.command('capc').description('confidential mode (CaPC): the querying party');
capc
  .command('label')
  .description(
    'label images without revealing them: encrypts each query under a fresh HE key, runs the secure argmax with every ' +
      'teacher through the api, and prints the released labels (only this party may read them)',
  )
  .requiredOption('--url <url>', 'the api')
  .requiredOption('--key <key>', "the querying party's api key")
  .requiredOption('--dealer <url>', 'the dealer')
  .requiredOption('--dealer-key <key>', 'the key the dealer issued to this querying party')
  .option('--dataset <id>', 'the consortium dataset (informational: the budget names it)')
  .requiredOption('--budget <id>', 'the privacy budget to charge')
  .requiredOption('--images <file>', 'IDX3 images (e.g. MNIST)')
  .option('--count <n>', 'label only the first n images')
  .option('--classes <k>', 'classes of the dataset', '10')
  .option('--mechanism <m>', 'gnmax | confident-gnmax | lnmax', 'gnmax')
  .option('--params <json>', 'mechanism parameters', '{"sigma":1}')
  .option('--batch-size <n>', 'queries per batch (≤ 32; default 16, rounded up to whole ciphertexts)')
  .option(
    '--queries-per-ciphertext <n>',
    'queries packed into one ciphertext (default: as many as a head leaves room for, 11 with BFV_8192; 1: one each)',
  )
  .option('--parameters <set>', 'BFV_8192 (noise flooding) or BFV_4096', 'BFV_8192')
  .action(async (opts: import('./capc/capc-label.command.js').CapcLabelCliOptions) => {
    const { runCapcLabelCommand } = await import('./capc/capc-label.command.js');
    await runCapcLabelCommand(opts);
  });

function schemaOf(service: string): SchemaKind {
  if (['api', 'aggregator', 'student'].includes(service)) return 'coordinator';
  if (service === 'dealer') return 'dealer';
  if (/^teacher-[a-z0-9][a-z0-9-]*$/.test(service)) return 'teacher';
  throw new Error('--service must be api, aggregator, student, dealer or teacher-<id>');
}

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`conclave: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
