// Benchmark of the labeling pipeline (issue 4, item 5): end-to-end labeled queries per second with S teacher
// services x P partitions (default 5 x 50 = 250 MNIST teachers of 240 training images each, 60,000 in all), against
// the bound that teacher inference alone sets, measured in the same run.
//
//   1. boots the whole platform as processes (embedded database, ephemeral ports, temp dir), loads disjoint MNIST
//      training slices into every teacher service, trains one MLP per partition, issues guardian keys, sets up the
//      consortium, parties, dataset and budget, uploads N unlabeled MNIST test images (IDX);
//   2. inference bound: every service's P models predict the same N queries in batches of the guardian's batch
//      size, the S services in parallel (one worker thread each, on this machine's cores like the services), one
//      batch at a time (the guardian waits for the slowest service on each batch). Also timed: POST /v1/votes/packed to the
//      running services directly, the same way (HTTP, the packed request's decoding and the JSON answer included);
//   3. runs GNMax jobs (sigma = 40; five by default) end to end through the api, pg-boss, the guardian and the
//      database, from job creation to completion, each between runs of both bounds;
//   4. overheadFraction = 1 - queriesPerSec / inferenceBoundQueriesPerSec.
// With DATABASE_URL set (a PostgreSQL server's admin URL), the coordinator and every teacher service use databases
// on that server (created for the run, dropped after it) instead of the embedded ones.
// Prints the figures, records them in docs/benchmarks.md (section between the bench:labeling markers, or
// bench:labeling-postgres with DATABASE_URL; unless --no-docs), and ends with one JSON line. Every process it started is stopped and its temp dir deleted, also on
// failure or Ctrl-C.
//
// Usage: npm run bench:labeling [-- --queries N --services S --partitions P --batch-size B --edge-batch-size E
//        --epochs E --jobs J --no-docs]
// (--batch-size and --edge-batch-size set the guardian's LABELING_BATCH_SIZE and LABELING_EDGE_BATCH_SIZE; without them
// the aggregator's defaults are used. The bound is always measured in batches of the batch size.)
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, freemem, loadavg, platform as osPlatform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { writeBenchmarkSection } from './benchmark-doc.js';
import { cpuSnapshot } from './process-cpu.js';
import { dropDatabases, loadMnistPartitions, sliceMnistIdx, startPlatform, type Platform } from '@conclave/app-cli';
import { encodePackedVoteRequest, MAX_VOTE_BATCH, PACKED_VOTE_REQUEST_TYPE } from '@conclave/contracts';
import {
  createModel,
  defaultModelSpec,
  deserializeModel,
  featureShape,
  initTensorflow,
  loadMnist,
  MNIST_SCHEMA,
  predictVotes,
  serializeModel,
  type BackendName,
  type FeatureMatrix,
} from '@conclave/ml';

const PER_PARTITION = 240; // PATE's MNIST teachers: 60,000 / 250
const MNIST_TRAIN = 60_000;
const MNIST_TEST = 10_000;
const SIGMA = 40;
const EPSILON_LIMIT = 100; // the api's largest budget: far more than N <= 10,000 queries at sigma = 40 spend
const DELTA = 1e-5;
const DEFAULT_BATCH = 256; // the aggregator's LABELING_BATCH_SIZE default (apps/aggregator/src/aggregator.env.ts)
const GOAL = 0.2;
const JOB_POLL_MS = 100; // how often the job's row is read; its end is taken from the row, not from the poll
const DATASET = 'mnist';
const IDS = 'abcdefghijklmnopqrstuvwxyz';

// ---------------------------------------------------------------------------------------------------------------
// Inference worker: one per teacher service, holding P models of the service's architecture.

interface WorkerInit {
  models: number;
  queries: number;
  batchSize: number;
  seed: number;
  prefer: BackendName;
}

type ToWorker = { type: 'batch'; index: number } | { type: 'stop' };
type FromWorker = { type: 'ready'; backend: string } | { type: 'done'; index: number; ms: number };

async function inferenceWorker(): Promise<void> {
  const init = workerData as WorkerInit;
  const port = parentPort!;
  const backend = await initTensorflow({ prefer: init.prefer });
  // The teacher service's MLP for MNIST (what training with { architecture: 'mlp' } builds). Inference cost does
  // not depend on the weights' values, so fresh weights stand in for the trained ones; each model goes through
  // serialize -> deserialize, as the service's model cache loads it.
  const spec = defaultModelSpec(MNIST_SCHEMA, 'mlp');
  const models: Array<Awaited<ReturnType<typeof deserializeModel>>> = [];
  for (let m = 0; m < init.models; m++) {
    const fresh = createModel({ ...spec, seed: init.seed * 1000 + m });
    const stored = await serializeModel(fresh);
    fresh.dispose();
    models.push(await deserializeModel(stored));
  }
  const data = await loadMnist({ split: 'test', offset: 0, count: init.queries });
  const size = 28 * 28;
  // Each batch as the feature matrix the teacher service decodes a vote request into (vote.service.ts), so that
  // the timed work is exactly the service's inference: predictVotes on that matrix.
  const batches: FeatureMatrix[] = [];
  for (let start = 0; start < init.queries; start += init.batchSize) {
    const count = Math.min(init.batchSize, init.queries - start);
    batches.push({
      features: data.features.slice(start * size, (start + count) * size),
      featureShape: featureShape(MNIST_SCHEMA),
      count,
    });
  }
  predictVotes(models, batches[0]!); // warm-up: kernels and buffers
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stop') {
      for (const model of models) model.dispose();
      port.close();
      return;
    }
    const t0 = performance.now();
    // What the teacher service runs for one vote request (apps/teacher/src/votes/vote.service.ts).
    predictVotes(models, batches[message.index]!);
    port.postMessage({ type: 'done', index: message.index, ms: performance.now() - t0 } satisfies FromWorker);
  });
  port.postMessage({ type: 'ready', backend: backend.name } satisfies FromWorker);
}

class InferencePool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<Worker, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  backend = 'unknown';

  async start(count: number, init: Omit<WorkerInit, 'seed'>): Promise<void> {
    const ready: Promise<FromWorker>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL(import.meta.url), { workerData: { ...init, seed: i + 1 } });
      this.workers.push(worker);
      worker.on('message', (message: FromWorker) => {
        const pending = this.waiting.get(worker);
        this.waiting.delete(worker);
        pending?.resolve(message);
      });
      worker.on('error', (error) => {
        const pending = this.waiting.get(worker);
        this.waiting.delete(worker);
        pending?.reject(error);
      });
      ready.push(this.next(worker));
    }
    const first = await Promise.all(ready);
    this.backend = first[0]?.type === 'ready' ? first[0].backend : 'unknown';
  }

  /** Every worker predicts batch `index`; resolves when the slowest is done. */
  async batch(index: number): Promise<void> {
    await Promise.all(
      this.workers.map((worker) => {
        const done = this.next(worker);
        worker.postMessage({ type: 'batch', index } satisfies ToWorker);
        return done;
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        worker.postMessage({ type: 'stop' } satisfies ToWorker);
        await worker.terminate();
      }),
    );
    this.workers.length = 0;
  }

  private next(worker: Worker): Promise<FromWorker> {
    return new Promise((resolve, reject) => this.waiting.set(worker, { resolve, reject }));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const started = performance.now();
function log(message: string): void {
  process.stdout.write(
    `[bench:labeling ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`,
  );
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by the main flow once a signal has started the cleanup: nothing more is measured or reported. */
class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}
let interrupted = false;

async function call<T>(
  url: string,
  init: { method?: string; key: string; body?: unknown; raw?: { data: Uint8Array; contentType: string } },
  expected: number[] = [200, 201, 202],
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? (init.body !== undefined || init.raw ? 'POST' : 'GET'),
    headers: {
      authorization: `Bearer ${init.key}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.raw ? { 'content-type': init.raw.contentType } : {}),
    },
    body: init.raw ? init.raw.data : init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  if (!expected.includes(response.status)) {
    throw new Error(
      `${init.method ?? (init.body !== undefined || init.raw ? 'POST' : 'GET')} ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 500)}`,
    );
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

function cpuDelta(before: Record<string, number | null>, after: Record<string, number | null>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const name of Object.keys(after)) {
    const a = after[name];
    const b = before[name];
    if (typeof a === 'number' && typeof b === 'number') delta[name] = round(a - b, 2);
  }
  return delta;
}

/** Sums per-service CPU seconds into groups: teachers, coordinator database, guardian, api, other. */
function cpuGroups(delta: Record<string, number>): Record<string, number> {
  const groups: Record<string, number> = { teachers: 0, db: 0, aggregator: 0, api: 0, other: 0 };
  for (const [name, seconds] of Object.entries(delta)) {
    const group = name.startsWith('teacher-') ? 'teachers' : name in groups ? name : 'other';
    groups[group] = round(groups[group]! + seconds, 2);
  }
  return groups;
}

const loadavgNow = () => loadavg().map((x) => round(x, 2));

interface Options {
  queries: number;
  services: number;
  partitions: number;
  batchSize: number;
  batchSizeSet: boolean;
  edgeBatchSize: number | null;
  epochs: number;
  jobs: number;
  docs: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string', default: '1000' },
      services: { type: 'string', default: '5' },
      partitions: { type: 'string', default: '50' },
      'batch-size': { type: 'string' },
      'edge-batch-size': { type: 'string' },
      epochs: { type: 'string', default: '3' },
      jobs: { type: 'string', default: '5' },
      'no-docs': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, value: string, min: number, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const services = int('services', values.services!, 1, IDS.length);
  const partitions = int('partitions', values.partitions!, 1, Math.floor(MNIST_TRAIN / PER_PARTITION / services));
  return {
    queries: int('queries', values.queries!, 1, MNIST_TEST),
    services,
    partitions,
    batchSize: values['batch-size'] ? int('batch-size', values['batch-size'], 1, MAX_VOTE_BATCH) : DEFAULT_BATCH,
    batchSizeSet: values['batch-size'] !== undefined,
    edgeBatchSize: values['edge-batch-size']
      ? int('edge-batch-size', values['edge-batch-size'], 1, MAX_VOTE_BATCH)
      : null,
    epochs: int('epochs', values.epochs!, 1, 100),
    jobs: int('jobs', values.jobs!, 1, 10),
    docs: !values['no-docs'],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Main

interface JobView {
  id: string;
  status: string;
  queries: Record<string, number>;
  errorCode: string | null;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { queries: N, services: S, partitions: P, batchSize: B } = options;
  const teachers = S * P;
  const ids = IDS.slice(0, S).split('');
  const cpu = cpus();
  const machine = `${cpu[0]?.model.trim() ?? 'unknown CPU'} x${cpu.length}, ${round(totalmem() / 2 ** 30, 1)} GiB, ${osPlatform()} ${release()} ${arch()}, Node ${process.version}`;
  const command = [
    // The server's URL without its credentials: where the figures came from, not how to log in to it.
    ...(process.env.DATABASE_URL ? [`DATABASE_URL=${redactedUrl(process.env.DATABASE_URL)}`] : []),
    'npm run bench:labeling',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const load = { start: loadavgNow(), afterJobs: [] as number[] };
  log(
    `${S} teacher services x ${P} partitions = ${teachers} teachers (${PER_PARTITION} MNIST images each), ${N} queries, guardian batch ${B}${options.batchSizeSet ? ' (LABELING_BATCH_SIZE)' : ' (default)'}, first and last batch ${Math.min(options.edgeBatchSize ?? B, B)}${options.edgeBatchSize !== null ? ' (LABELING_EDGE_BATCH_SIZE)' : ' (default)'}, GNMax sigma ${SIGMA}`,
  );
  log(`machine: ${machine}; load average ${load.start.join(' ')}; free memory ${round(freemem() / 2 ** 30, 1)} GiB`);

  // Cleanup runs once: on success, on failure, and on SIGINT / SIGTERM.
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-bench-labeling-'));
  const postgres = process.env.DATABASE_URL
    ? { adminUrl: process.env.DATABASE_URL, databasePrefix: 'conclave_bench_labeling' }
    : undefined;
  const database = postgres ? 'PostgreSQL' : 'embedded (PGlite)';
  if (postgres) await dropDatabases(postgres); // a run stopped before its cleanup may have left them
  let starting: Promise<Platform> | undefined;
  const pool = new InferencePool();
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await pool.stop().catch(() => undefined);
      const platform = await starting?.catch(() => undefined);
      await platform?.stop().catch(() => undefined);
      if (postgres) await dropDatabases(postgres).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return; // a second Ctrl-C must not leave the services running
    interrupted = true;
    log(`${signal}: stopping every service and deleting ${dataDir}`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (interrupted) throw new Interrupted();
    const t0 = performance.now();
    const result = await work();
    steps[name] = round((performance.now() - t0) / 1000, 2);
    return result;
  };

  try {
    // 1. Boot.
    const platform = await step('bootSec', () => {
      starting = startPlatform({
        dataDir,
        teachers: ids,
        ports: 'ephemeral',
        postgres,
        logLevel: 'warn',
        env: {
          aggregator: {
            ...(options.batchSizeSet ? { LABELING_BATCH_SIZE: String(B) } : {}),
            ...(options.edgeBatchSize !== null ? { LABELING_EDGE_BATCH_SIZE: String(options.edgeBatchSize) } : {}),
          },
        },
      });
      return starting;
    });
    log(`platform up in ${steps.bootSec} s: ${Object.keys(platform.processes).length} processes (data in ${dataDir})`);
    const teacherServices = ids.map((id) => platform.services[`teacher-${id}`]!);
    const api = platform.services.api!;

    try {
      // 2. Load disjoint MNIST training slices: all services in parallel, each loading its partitions in turn.
      let loaded = 0;
      let lastLoadLog = performance.now();
      await step('loadSec', () =>
        Promise.all(
          teacherServices.map((teacher, i) =>
            loadMnistPartitions({
              url: teacher.url,
              key: teacher.adminKey,
              dataset: DATASET,
              partitions: P,
              perPartition: PER_PARTITION,
              offset: i * P * PER_PARTITION,
              onLoaded: () => {
                if (interrupted) throw new Interrupted();
                loaded += 1;
                if (loaded === teachers || performance.now() - lastLoadLog > 5000) {
                  lastLoadLog = performance.now();
                  log(`loaded ${loaded}/${teachers} partitions (${loaded * PER_PARTITION} images)`);
                }
              },
            }),
          ),
        ),
      );

      // 3. Train one MLP per partition (each service trains its partitions one at a time; services in parallel).
      await step('trainSec', async () => {
        for (const [i, teacher] of teacherServices.entries()) {
          await call(`${teacher.url}/v1/datasets/${DATASET}/train`, {
            key: teacher.adminKey,
            body: { architecture: 'mlp', epochs: options.epochs, seed: i + 1, capcHeads: false }, // pate mode only
          });
        }
        let lastReady = -1;
        let lastLog = 0;
        for (;;) {
          const statuses = await Promise.all(
            teacherServices.map((t) =>
              call<{ partitions: Array<{ status: string }> }>(`${t.url}/v1/datasets/${DATASET}/training`, {
                key: t.adminKey,
              }),
            ),
          );
          const all = statuses.flatMap((s) => s.partitions);
          const failed = all.filter((p) => p.status === 'failed').length;
          if (failed > 0) throw new Error(`${failed} teachers failed to train (see the teacher logs)`);
          const ready = all.filter((p) => p.status === 'ready').length;
          if (ready !== lastReady && (ready === teachers || performance.now() - lastLog > 5000)) {
            log(`trained ${ready}/${teachers} teachers`);
            lastReady = ready;
            lastLog = performance.now();
          }
          if (ready === teachers) break;
          await sleep(1000);
          if (interrupted) throw new Interrupted();
        }
      });

      // 4. Guardian keys, consortium, parties, dataset, budget, unlabeled upload.
      const test = await loadMnist({ split: 'test', offset: 0, count: N });
      const setup = await step('setupSec', async () => {
        const guardianKeys: string[] = [];
        for (const teacher of teacherServices) {
          const key = await call<{ key: string }>(`${teacher.url}/v1/keys`, {
            key: teacher.adminKey,
            body: { role: 'guardian', label: 'consortium guardian bench' },
          });
          guardianKeys.push(key.key);
        }
        const consortium = await call<{ id: string }>(`${api.url}/v1/consortia`, {
          key: api.adminKey,
          body: { name: 'mnist consortium bench' },
        });
        for (const [i, teacher] of teacherServices.entries()) {
          await call(`${api.url}/v1/consortia/${consortium.id}/parties`, {
            key: api.adminKey,
            body: {
              name: `owner-${ids[i]}`,
              kind: 'data-owner',
              teacherServiceUrl: teacher.url,
              guardianApiKey: guardianKeys[i],
            },
          });
        }
        const querying = await call<{ id: string }>(`${api.url}/v1/consortia/${consortium.id}/parties`, {
          key: api.adminKey,
          body: { name: 'clinic q', kind: 'querying-party' },
        });
        const partyKey = (
          await call<{ key: string }>(`${api.url}/v1/keys`, {
            key: api.adminKey,
            body: { role: 'querying-party', label: 'clinic q', partyId: querying.id },
          })
        ).key;
        const dataset = await call<{ id: string }>(`${api.url}/v1/consortia/${consortium.id}/datasets`, {
          key: api.adminKey,
          body: { name: DATASET, numClasses: 10, recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 } },
        });
        const budgetIds: string[] = [];
        for (let k = 0; k < options.jobs; k++) {
          const budget = await call<{ id: string }>(`${api.url}/v1/datasets/${dataset.id}/budgets`, {
            key: api.adminKey,
            body: { name: `bench ${k + 1}`, epsilon: EPSILON_LIMIT, delta: DELTA },
          });
          budgetIds.push(budget.id);
        }
        const { images } = await sliceMnistIdx('test', 0, N);
        const unlabeled = await call<{ id: string; recordCount: number }>(
          `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${dataset.id}&name=mnist-test-head&format=idx`,
          { key: partyKey, raw: { data: images, contentType: 'application/octet-stream' } },
        );
        if (unlabeled.recordCount !== N) throw new Error(`uploaded ${unlabeled.recordCount} records, expected ${N}`);
        return { guardianKeys, partyKey, budgetIds, unlabeledId: unlabeled.id };
      });
      log(
        `guardian keys, consortium, ${S} data owners, dataset, ${options.jobs} budgets (epsilon ${EPSILON_LIMIT} each) and ${N} unlabeled images ready in ${steps.setupSec} s`,
      );

      // The queries as the guardian sends them: packed vote requests (raw float32 features), in batches of B, packed
      // once per batch for every service.
      const batches: number[][] = [];
      for (let start = 0; start < N; start += B) {
        batches.push(Array.from({ length: Math.min(B, N - start) }, (_, k) => start + k));
      }
      const voteRequest = (batch: number[]) =>
        encodePackedVoteRequest(
          DATASET,
          batch.map((q) => ({
            queryId: randomUUID(),
            features: new Uint8Array(test.features.buffer, test.features.byteOffset + q * 784 * 4, 784 * 4),
          })),
        );
      type Votes = { teachers: number; votes: Array<{ classes: number[] }> };
      const askAll = (batch: number[]) => {
        const data = voteRequest(batch);
        return Promise.all(
          teacherServices.map((t, i) =>
            call<Votes>(`${t.url}/v1/votes/packed`, {
              key: setup.guardianKeys[i]!,
              raw: { data, contentType: PACKED_VOTE_REQUEST_TYPE },
            }),
          ),
        );
      };

      // Warm-up: every service loads its models into its cache (a one-time cost the job would otherwise pay on its
      // first batch), and the inference workers build theirs.
      await step('warmupSec', async () => {
        const answers = await askAll(batches[0]!.slice(0, 8));
        for (const answer of answers) {
          if (answer.teachers !== P)
            throw new Error(`a teacher service voted with ${answer.teachers} teachers, not ${P}`);
        }
        await pool.start(S, { models: P, queries: N, batchSize: B, prefer: 'tensorflow' });
      });
      log(
        `warm-up done in ${steps.warmupSec} s (teacher model caches loaded; ${S} inference workers on ${pool.backend})`,
      );

      // Inference bound: S workers x P models, batch by batch.
      const inferenceRuns: Array<{ seconds: number; cpuSeconds: number }> = [];
      const measureInference = async () => {
        if (interrupted) throw new Interrupted();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let b = 0; b < batches.length; b++) await pool.batch(b);
        const seconds = (performance.now() - t0) / 1000;
        const used = process.cpuUsage(cpu0);
        inferenceRuns.push({ seconds: round(seconds, 3), cpuSeconds: round((used.user + used.system) / 1e6, 2) });
        log(
          `inference bound run ${inferenceRuns.length}: ${seconds.toFixed(2)} s for ${N} queries x ${teachers} teachers (${(N / seconds).toFixed(1)} queries/s; ${inferenceRuns.at(-1)!.cpuSeconds} CPU s)`,
        );
      };
      // Vote requests over HTTP to the running services: the same batches, services in parallel.
      const votesRuns: Array<{ seconds: number; cpu: Record<string, number> }> = [];
      const histograms: number[][] = Array.from({ length: N }, () => new Array<number>(10).fill(0));
      const measureVotes = async () => {
        if (interrupted) throw new Interrupted();
        const before = cpuSnapshot(platform, 'bench', { postgres: postgres !== undefined });
        const t0 = performance.now();
        const record = votesRuns.length === 0;
        for (const batch of batches) {
          const answers = await askAll(batch);
          if (record) {
            for (const answer of answers) {
              answer.votes.forEach((v, k) => {
                for (const c of v.classes) histograms[batch[k]!]![c]! += 1;
              });
            }
          }
        }
        const seconds = (performance.now() - t0) / 1000;
        votesRuns.push({
          seconds: round(seconds, 3),
          cpu: cpuGroups(cpuDelta(before, cpuSnapshot(platform, 'bench', { postgres: postgres !== undefined }))),
        });
        log(
          `POST /v1/votes/packed run ${votesRuns.length}: ${seconds.toFixed(2)} s (${(N / seconds).toFixed(1)} queries/s; teacher CPU ${votesRuns.at(-1)!.cpu.teachers} s)`,
        );
      };

      // 5. Labeling jobs end to end, each between runs of both bounds (the machine is shared: the runs bracket
      // every job). Each job has its own budget and asks the same N queries.
      interface JobRun {
        seconds: number;
        /** When the bench's poll saw the job completed (up to JOB_POLL_MS later). */
        polledSeconds: number;
        timeline: Awaited<ReturnType<typeof jobTimeline>>;
        cpu: Record<string, number>;
        load: number[];
      }
      const jobRuns: JobRun[] = [];
      let labels: Array<{ ordinal: number; status: string; label: number | null }> = [];
      const runJob = async (k: number) => {
        const loadBefore = loadavgNow();
        const cpuBefore = cpuSnapshot(platform, 'bench', { postgres: postgres !== undefined });
        const t0Wall = Date.now();
        const t0 = performance.now();
        const created = await call<{ id: string }>(`${api.url}/v1/jobs`, {
          key: setup.partyKey,
          body: {
            unlabeledDatasetId: setup.unlabeledId,
            budgetId: setup.budgetIds[k],
            mechanism: 'gnmax',
            params: { sigma: SIGMA },
            maxQueries: N,
          },
        });
        // Watched through the job's row (a primary-key read): the api's job view counts every query by status, and
        // polling it while the job runs would load the database the job is measured on.
        const watch = new pg.Client({ connectionString: platform.coordinatorUrl });
        await watch.connect();
        let lastLog = performance.now();
        try {
          for (;;) {
            const { rows } = await watch.query<{ status: string; answered: number }>(
              `SELECT "status", "queries_answered" AS answered FROM "labeling_job" WHERE "id" = $1`,
              [created.id],
            );
            if (rows[0]?.status !== 'queued' && rows[0]?.status !== 'running') break;
            if (performance.now() - lastLog > 2000) {
              lastLog = performance.now();
              log(`job ${k + 1} ${rows[0].status}: ${rows[0].answered}/${N} answered`);
            }
            await sleep(JOB_POLL_MS);
            if (interrupted) throw new Interrupted();
          }
        } finally {
          await watch.end();
        }
        const polledSeconds = (performance.now() - t0) / 1000;
        const cpu = cpuGroups(
          cpuDelta(cpuBefore, cpuSnapshot(platform, 'bench', { postgres: postgres !== undefined })),
        );
        const job = await call<JobView>(`${api.url}/v1/jobs/${created.id}`, { key: setup.partyKey });
        if (job.status !== 'completed' || job.queries.answered !== N) {
          throw new Error(
            `job ${k + 1} ended ${job.status} (${job.errorCode ?? 'no error code'}): ${JSON.stringify(job.queries)}`,
          );
        }
        const timeline = await jobTimeline(platform.coordinatorUrl, job.id);
        // The job ends when the guardian marks it completed (the row's updated_at; the database runs on this
        // machine's clock), not when the next poll happens to see it: the poll's delay is the bench's, not the
        // platform's.
        const ended = timeline.completedAtMs === null ? null : (timeline.completedAtMs - t0Wall) / 1000;
        const seconds = ended !== null && ended > 0 && ended <= polledSeconds ? ended : polledSeconds;
        jobRuns.push({
          seconds: round(seconds, 3),
          polledSeconds: round(polledSeconds, 3),
          timeline,
          cpu,
          load: loadBefore,
        });
        log(
          `job ${k + 1} completed: ${N} queries answered in ${seconds.toFixed(2)} s (${(N / seconds).toFixed(1)} queries/s; pg-boss pickup ${fmt(timeline.pickupSec)} s)`,
        );
        labels = await call(`${api.url}/v1/jobs/${job.id}/labels?limit=${N}`, { key: setup.partyKey });
      };
      const measuredFrom = performance.now();
      for (let k = 0; k < options.jobs; k++) {
        await measureInference();
        await measureVotes();
        await runJob(k);
      }
      await measureInference();
      await measureVotes();
      await pool.stop();
      load.afterJobs = loadavgNow();
      const best = jobRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      steps.jobSec = best.seconds;
      steps.inferenceBoundSec = round(Math.min(...inferenceRuns.map((r) => r.seconds)), 3);
      steps.votesHttpSec = round(Math.min(...votesRuns.map((r) => r.seconds)), 3);
      steps.measurementsSec = round((performance.now() - measuredFrom) / 1000, 2);

      // Accuracy: the ensemble's plurality (from the direct vote requests) and the released noisy labels.
      const truth = test.labels;
      const plurality = histograms.map((h) => h.indexOf(Math.max(...h)));
      const pluralityAccuracy = plurality.filter((c, q) => c === truth[q]).length / N;
      const byOrdinal = new Map(labels.map((l) => [l.ordinal, l.label]));
      const released = Array.from({ length: N }, (_, q) => byOrdinal.get(q));
      const labelAccuracy = released.filter((l, q) => l === truth[q]).length / N;
      const labelAgreement = released.filter((l, q) => l === plurality[q]).length / N;

      // Figures. Each measure takes the fastest of its runs — the end-to-end job as well as the bounds: the
      // machine's other load only ever adds time, so the fastest run is the least disturbed one. The means are
      // reported too.
      const queriesPerSec = N / best.seconds;
      const inferenceBoundQueriesPerSec = N / steps.inferenceBoundSec;
      const votesHttpQueriesPerSec = N / steps.votesHttpSec;
      const overheadFraction = 1 - queriesPerSec / inferenceBoundQueriesPerSec;
      const overheadFractionOfMeans =
        1 - mean(inferenceRuns.map((r) => r.seconds)) / mean(jobRuns.map((r) => r.seconds));
      const teacherHttpFraction = 1 - votesHttpQueriesPerSec / inferenceBoundQueriesPerSec;
      const inferenceCpu = Math.min(...inferenceRuns.map((r) => r.cpuSeconds));
      const cores = cpu.length;
      const t = best.timeline;
      const runsOf = (xs: Array<{ seconds: number }>) => xs.map((r) => r.seconds.toFixed(2)).join(', ');

      const lines = [
        '',
        `setting: ${S} teacher services x ${P} partitions = ${teachers} MLP teachers (${PER_PARTITION} images each, ${options.epochs} epochs), ${N} MNIST test queries, guardian batch ${B} (first and last ${Math.min(options.edgeBatchSize ?? B, B)}), GNMax sigma ${SIGMA}, ${database} database, TensorFlow.js ${pool.backend}`,
        `steps: boot ${steps.bootSec} s, load ${steps.loadSec} s (${teachers * PER_PARTITION} images), train ${steps.trainSec} s, setup ${steps.setupSec} s, warm-up ${steps.warmupSec} s, ${options.jobs} jobs and the bounds ${steps.measurementsSec} s`,
        `end to end (job created -> completed: api, pg-boss, guardian, teachers over HTTP, database, accounting): runs ${runsOf(jobRuns)} s -> best ${best.seconds} s = ${queriesPerSec.toFixed(1)} queries/s`,
        `  in the best run: pg-boss pickup ${fmt(t.pickupSec)} s; first batch charged ${fmt(t.firstChargeSec)} s after creation; first -> last batch charged ${fmt(t.chargeSpanSec)} s; last batch charged -> completed ${fmt(t.completionSec)} s (the poll saw it ${fmt(best.polledSeconds - best.seconds)} s later)`,
        `inference bound (predictVotes of ${P} models per service, ${S} services in parallel as worker threads, batches of ${B}): runs ${runsOf(inferenceRuns)} s -> best ${steps.inferenceBoundSec} s = ${inferenceBoundQueriesPerSec.toFixed(1)} queries/s (${inferenceCpu} CPU s)`,
        `teacher vote requests over HTTP (POST /v1/votes/packed to the running services, same batches, in parallel): runs ${runsOf(votesRuns)} s -> best ${steps.votesHttpSec} s = ${votesHttpQueriesPerSec.toFixed(1)} queries/s`,
        `overheadFraction = 1 - ${queriesPerSec.toFixed(1)} / ${inferenceBoundQueriesPerSec.toFixed(1)} = ${overheadFraction.toFixed(3)} (goal < ${GOAL}: ${overheadFraction < GOAL ? 'met' : 'NOT met'}); from the means of the runs ${overheadFractionOfMeans.toFixed(3)}`,
        `  of which teacher-side HTTP, JSON, decoding and per-request lookups: 1 - ${votesHttpQueriesPerSec.toFixed(1)} / ${inferenceBoundQueriesPerSec.toFixed(1)} = ${teacherHttpFraction.toFixed(3)}`,
        `CPU seconds during the best job (${cores} cores x ${best.seconds} s = ${round(cores * best.seconds, 1)} available): teachers ${best.cpu.teachers}, coordinator db ${best.cpu.db}, guardian ${best.cpu.aggregator}, api ${best.cpu.api}, other ${best.cpu.other}; pure inference of the same queries ${inferenceCpu}`,
        `accuracy on the ${N} queries: ensemble plurality ${(100 * pluralityAccuracy).toFixed(1)}%, released GNMax labels ${(100 * labelAccuracy).toFixed(1)}% (${(100 * labelAgreement).toFixed(1)}% agree with the plurality)`,
        `load average (1/5/15 min): start ${load.start.join(' ')}; before each job ${jobRuns.map((r) => r.load.join(' ')).join('; ')}; end ${load.afterJobs.join(' ')} (shared ${cores}-core machine: absolute figures are noisy; the ratios come from the same run)`,
        'The bound is teacher inference alone: the guardian cannot finish before every service has predicted every batch, and',
        'batch by batch it waits for the slowest service. The HTTP vote figure is not the bound: it already contains part of',
        "the platform's own overhead (HTTP, the packed request's decoding, the JSON answer, the services' per-request checks).",
      ];
      for (const line of lines) process.stdout.write(`${line}\n`);

      const result = {
        queriesPerSec: round(queriesPerSec, 2),
        inferenceBoundQueriesPerSec: round(inferenceBoundQueriesPerSec, 2),
        overheadFraction: round(overheadFraction, 4),
        overheadFractionOfMeans: round(overheadFractionOfMeans, 4),
        votesHttpQueriesPerSec: round(votesHttpQueriesPerSec, 2),
        teacherHttpFraction: round(teacherHttpFraction, 4),
        teachers,
        services: S,
        partitionsPerService: P,
        queries: N,
        batchSize: B,
        edgeBatchSize: Math.min(options.edgeBatchSize ?? B, B),
        sigma: SIGMA,
        epochs: options.epochs,
        backend: pool.backend,
        database,
        steps,
        jobRunsSec: jobRuns.map((r) => r.seconds),
        jobRunsPolledSec: jobRuns.map((r) => r.polledSeconds),
        inferenceRunsSec: inferenceRuns.map((r) => r.seconds),
        votesHttpRunsSec: votesRuns.map((r) => r.seconds),
        bestJob: { ...t, cpuSeconds: best.cpu },
        inferenceCpuSeconds: inferenceCpu,
        pluralityAccuracy: round(pluralityAccuracy, 4),
        labelAccuracy: round(labelAccuracy, 4),
        loadavg: { start: load.start, beforeJobs: jobRuns.map((r) => r.load), end: load.afterJobs },
        machine,
      };

      if (options.docs) {
        const section = postgres ? 'bench:labeling-postgres' : 'bench:labeling';
        writeSection(section, [
          `<!-- ${section}:start -->`,
          `## Labeling pipeline — end-to-end throughput against the inference bound${postgres ? ' (PostgreSQL)' : ''}`,
          '',
          `Command: \`${command}\` (from the repository root)  `,
          `Date: ${new Date().toISOString()}  `,
          `Machine: ${machine}  `,
          `Load average (1/5/15 min): ${load.start.join(' ')} at the start; ${jobRuns.map((r) => r.load.join(' ')).join('; ')} before the jobs; ${load.afterJobs.join(' ')} at the end. A shared 2-core machine: absolute figures are noisy; the ratios are measured in the same run.`,
          '',
          `Setting: ${S} teacher services × ${P} partitions = ${teachers} MLP teachers (784-128-10, ${PER_PARTITION} MNIST training images each, ${options.epochs} epochs), ${N} MNIST test images as queries (IDX upload), GNMax σ = ${SIGMA}, guardian batch ${B} (a job’s first and last: ${Math.min(options.edgeBatchSize ?? B, B)}; the bound’s batches are all ${B}), ${postgres ? 'every database on a PostgreSQL server on this machine (its CPU is not in the process figures below, but it shares the cores)' : 'embedded database (PGlite)'}, TensorFlow.js ${pool.backend}.`,
          '',
          '| measure | runs | best |',
          '|---|---|---|',
          `| end to end: job created → completed (api, pg-boss, guardian, teachers over HTTP, database, accounting) | ${runsOf(jobRuns)} s | ${best.seconds} s → **${queriesPerSec.toFixed(1)} queries/s** |`,
          `| ↳ best run: pg-boss pickup; first batch charged (after creation); first → last batch charged; last charged → completed | | ${fmt(t.pickupSec)} s; ${fmt(t.firstChargeSec)} s; ${fmt(t.chargeSpanSec)} s; ${fmt(t.completionSec)} s |`,
          `| inference bound: predictVotes of ${P} models per service, ${S} services in parallel, batches of ${B} | ${runsOf(inferenceRuns)} s | ${steps.inferenceBoundSec} s → **${inferenceBoundQueriesPerSec.toFixed(1)} queries/s** |`,
          `| teacher vote requests over HTTP (POST /v1/votes/packed), same batches, services in parallel | ${runsOf(votesRuns)} s | ${steps.votesHttpSec} s → ${votesHttpQueriesPerSec.toFixed(1)} queries/s |`,
          `| **overheadFraction** = 1 − end to end / inference bound (goal < ${GOAL}) | from the means: ${overheadFractionOfMeans.toFixed(3)} | **${overheadFraction.toFixed(3)}** — ${overheadFraction < GOAL ? 'met' : 'not met'} |`,
          `| ↳ teacher side (HTTP, JSON, decoding, per-request lookups) = 1 − HTTP votes / bound | | ${teacherHttpFraction.toFixed(3)} |`,
          `| CPU seconds during the best job (${cores} cores × ${best.seconds} s) | | teachers ${best.cpu.teachers}, coordinator database ${best.cpu.db}, guardian ${best.cpu.aggregator}, api ${best.cpu.api}, other ${best.cpu.other}; pure inference ${inferenceCpu} |`,
          `| accuracy on the queries | | ensemble plurality ${(100 * pluralityAccuracy).toFixed(1)}%, released labels ${(100 * labelAccuracy).toFixed(1)}% |`,
          `| other steps | | boot ${steps.bootSec} s, load ${steps.loadSec} s, train ${steps.trainSec} s, setup ${steps.setupSec} s, warm-up ${steps.warmupSec} s |`,
          '',
          `The bound is teacher inference alone: the guardian cannot finish before every service has predicted every batch, and batch by batch it waits for the slowest service. It is measured with worker threads (one per service, so that they share the cores as the services do) on models of the services’ architecture, each loaded through serialize → deserialize as the services load theirs, each batch timed as exactly the call the service makes (predictVotes on the decoded feature matrix). A job’s end to end time runs from the request that creates it to the moment the guardian marks it completed (the job row’s last update; the bench reads that row every ${JOB_POLL_MS} ms, not the api’s job view, which counts every query). The HTTP vote figure is not the bound: it already contains part of the platform’s overhead (HTTP, the packed request's decoding, the JSON answer, per-request checks). Both bounds are measured before and after every job; every measure takes its fastest run (other load only adds time). The teacher model caches are warmed before anything is timed.`,
          `<!-- ${section}:end -->`,
        ]);
        log(`docs/benchmarks.md: ${section} section written`);
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      if (!interrupted) printLogTails(dataDir);
      throw error;
    }
  } finally {
    await cleanup();
  }
}

function fmt(x: number | null): string {
  return x === null ? '?' : x.toFixed(2);
}

async function jobTimeline(
  coordinatorUrl: string,
  jobId: string,
): Promise<{
  pickupSec: number | null;
  firstChargeSec: number | null;
  chargeSpanSec: number | null;
  /** Last batch charged → job marked completed. */
  completionSec: number | null;
  /** When the guardian marked the job completed (epoch ms; its last update). */
  completedAtMs: number | null;
}> {
  const db = new pg.Client({ connectionString: coordinatorUrl });
  await db.connect();
  try {
    const job = await db.query<{ created: Date; updated: Date; first: Date | null; last: Date | null }>(
      `SELECT j."created_at" AS created, j."updated_at" AS updated, min(q."answered_at") AS first,
              max(q."answered_at") AS last
         FROM "labeling_job" j JOIN "query" q ON q."job_id" = j."id" WHERE j."id" = $1
        GROUP BY j."created_at", j."updated_at"`,
      [jobId],
    );
    const boss = await db
      .query<{ created: Date; started: Date | null }>(
        `SELECT "created_on" AS created, "started_on" AS started FROM "pgboss"."job"
          WHERE "data"->>'jobId' = $1 ORDER BY "created_on" LIMIT 1`,
        [jobId],
      )
      .catch(() => ({ rows: [] as Array<{ created: Date; started: Date | null }> }));
    const row = job.rows[0];
    const seconds = (a: Date | null | undefined, b: Date | null | undefined) =>
      a && b ? round((b.getTime() - a.getTime()) / 1000, 3) : null;
    const pickup = boss.rows[0];
    return {
      pickupSec: seconds(pickup?.created, pickup?.started),
      firstChargeSec: seconds(row?.created, row?.first),
      chargeSpanSec: seconds(row?.first, row?.last),
      completionSec: seconds(row?.last, row?.updated),
      completedAtMs: row ? row.updated.getTime() : null,
    };
  } finally {
    await db.end();
  }
}

/** A database URL without its password. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

function writeSection(name: string, lines: string[]): void {
  writeBenchmarkSection(name, lines.join('\n'));
}

/** On failure: the last warnings and errors of each service (JSON logs; they never carry private values). */
function printLogTails(dataDir: string): void {
  const logDir = join(dataDir, 'logs');
  if (!existsSync(logDir)) return;
  for (const name of ['db', 'api', 'aggregator', ...IDS.split('').map((id) => `teacher-${id}`)]) {
    const file = join(logDir, `${name}.log`);
    if (!existsSync(file)) continue;
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-5).filter(Boolean);
    if (tail.length > 0) process.stderr.write(`--- ${name}.log (last lines)\n${tail.join('\n')}\n`);
  }
}

if (isMainThread) {
  main().catch((error: unknown) => {
    if (interrupted) return; // the signal handler exits once every service is stopped
    process.stderr.write(
      `bench:labeling failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
} else {
  inferenceWorker().catch((error: unknown) => {
    process.stderr.write(`inference worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
