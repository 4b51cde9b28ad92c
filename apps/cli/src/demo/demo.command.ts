import { join, resolve } from 'node:path';
import { checkSettings, DEMO_PRESETS, type DemoSettings, type DemoSize } from './demo.options.js';
import { renderDemoTable } from './demo.report.js';
import { DEMO_DATASET, runDemo } from './demo.runner.js';

export interface DemoCliOptions {
  full?: boolean;
  json?: boolean;
  dataDir: string;
  ephemeralPorts?: boolean;
  keepRunning?: boolean;
  hospitals?: string;
  teachersPerHospital?: string;
  queries?: string;
  pool?: string;
  teacherEpochs?: string;
  studentPreset?: string;
  threshold?: string;
  sigma1?: string;
  sigma2?: string;
  epsilonLimit?: string;
}

function integer(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${option} must be a positive integer`);
  return n;
}

function positive(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${option} must be a positive number`);
  return n;
}

/** The preset with the command line's overrides, checked. */
export function demoSettings(opts: DemoCliOptions): { size: DemoSize; settings: DemoSettings } {
  const size: DemoSize = opts.full ? 'full' : 'default';
  const base = DEMO_PRESETS[size];
  if (opts.studentPreset !== undefined && !['quick', 'full'].includes(opts.studentPreset)) {
    throw new Error('--student-preset must be quick or full');
  }
  const settings: DemoSettings = {
    ...base,
    services: integer(opts.hospitals, '--hospitals') ?? base.services,
    partitionsPerService: integer(opts.teachersPerHospital, '--teachers-per-hospital') ?? base.partitionsPerService,
    queries: integer(opts.queries, '--queries') ?? base.queries,
    poolSize: integer(opts.pool, '--pool') ?? base.poolSize,
    teacherEpochs: integer(opts.teacherEpochs, '--teacher-epochs') ?? base.teacherEpochs,
    studentPreset: (opts.studentPreset as DemoSettings['studentPreset'] | undefined) ?? base.studentPreset,
    mechanism: {
      name: 'confident-gnmax',
      threshold: positive(opts.threshold, '--threshold') ?? base.mechanism.threshold,
      sigma1: positive(opts.sigma1, '--sigma1') ?? base.mechanism.sigma1,
      sigma2: positive(opts.sigma2, '--sigma2') ?? base.mechanism.sigma2,
    },
    epsilonLimit: positive(opts.epsilonLimit, '--epsilon-limit') ?? base.epsilonLimit,
  };
  const problems = checkSettings(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { size, settings };
}

/** `conclave demo`: runs the demo, prints the table (and the JSON line), then stays up or stops. */
export async function runDemoCommand(opts: DemoCliOptions): Promise<void> {
  const { size, settings } = demoSettings(opts);
  const keepRunning = opts.keepRunning ?? (process.stdout.isTTY === true && !opts.json);
  const adminUrl = process.env.DATABASE_URL;
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `Conclave demo (${size}): ${settings.services} hospitals × ${settings.partitionsPerService} teachers on MNIST, ` +
      `${settings.queries} queries, student on ${settings.poolSize} pool images, held-out ${settings.evaluationSize}`,
  );
  const { result, platform } = await runDemo({
    size,
    settings,
    dataDir: opts.dataDir,
    ports: opts.ephemeralPorts ? 'ephemeral' : 'default',
    postgres: adminUrl ? { adminUrl, databasePrefix: 'conclave_demo' } : undefined,
    signal: abort.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const dataDir = resolve(opts.dataDir);
  out();
  out(renderDemoTable(result));
  out();
  out(`API:           ${result.apiUrl}   (OpenAPI: ${result.apiUrl}/docs)`);
  out(
    `Student:       ${result.studentUrl}/v1/students/${result.studentId}   deployed: POST ${result.studentUrl}/v1/datasets/<dataset id>/predict`,
  );
  out(`Admin keys:    ${join(dataDir, 'credentials.json')}   Logs: ${join(dataDir, 'logs')}`);
  out(`Dataset:       ${DEMO_DATASET}   (the querying party's key is in the api's key list)`);
  if (keepRunning) {
    out('The platform keeps running; stop it with Ctrl-C.');
  } else {
    await platform.stop();
    out(
      `Stopped. \`npm start -- --data-dir ${opts.dataDir} --teachers ${'abcdefghijklmnopqrstuvwxyz'.slice(0, settings.services).split('').join(',')}\` serves it again.`,
    );
  }
  if (opts.json) out(JSON.stringify(result));
  if (keepRunning) {
    const shutdown = async () => {
      process.stdout.write('stopping…\n');
      await platform.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  }
}
