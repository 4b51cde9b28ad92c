import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceClient } from '@conclave/common';
import { dropDatabases, startPlatform, type Platform } from '../platform/platform-launcher.js';
import { loadMnistPartitions } from '../teacher/mnist-loader.js';
import { sliceMnistIdx } from '../teacher/mnist-idx.slicer.js';
import { evaluateJob } from './demo.evaluation.js';
import { teacherCount, type DemoSettings, type DemoSize } from './demo.options.js';
import { DemoProgress } from './demo.progress.js';

export interface DemoOptions {
  size: DemoSize;
  settings: DemoSettings;
  dataDir: string;
  ports: 'default' | 'ephemeral';
  /**
   * PostgreSQL instead of the embedded default (see startPlatform). The demo owns the databases of its prefix: a
   * previous run's are dropped first, as its data directory is replaced.
   */
  postgres?: { adminUrl: string; databasePrefix: string };
  /** Progress bars on stderr (default true). */
  progress?: boolean;
  /** Checked between steps and polls: stops the demo (the caller stops the platform). */
  signal?: AbortSignal;
  /** Extra settings run before the teachers are discarded (bench:pate-mnist's plot). */
  sweep?: SweepSetting[];
}

/** The demo's table, as printed and as the `--json` line. Accuracies are fractions; ε is rounded up. */
export interface DemoResult {
  setting: DemoSize;
  teachers: number;
  teacherServices: number;
  queriesAsked: number;
  queriesAnswered: number;
  queriesRefused: number;
  mechanism: string;
  epsilon: number;
  delta: number;
  conversion: string;
  /** ε of the same ledger under the basic (Mironov 2017, Prop. 3) and improved (Balle et al. 2020) conversion. */
  epsilonBasic: number;
  epsilonImproved: number;
  /** The publishable bound: every release at its data-independent cost. */
  epsilonDataIndependent: number;
  ensembleAccuracy: number;
  answeredLabelAccuracy: number | null;
  studentAccuracy: number;
  baselineAccuracy: number;
  baselineTrainRecords: number;
  studentId: string;
  studentVersion: number;
  teachersDiscarded: number;
  apiUrl: string;
  studentUrl: string;
  /** Seconds per step. */
  steps: Record<string, number>;
  /** The extra settings asked for, each with its own budget, job and student. */
  sweep?: SweepPoint[];
}

export interface SweepSetting {
  label: string;
  queries: number;
  mechanism: DemoSettings['mechanism'];
}

export interface SweepPoint {
  label: string;
  queriesAsked: number;
  queriesAnswered: number;
  epsilonBasic: number;
  epsilonImproved: number;
  studentAccuracy: number;
}

export const DEMO_DATASET = 'mnist';
const MARKER = '.conclave-demo';
const POLL_MS = 1000;

interface JobView {
  id: string;
  status: string;
  errorCode: string | null;
  queries: Record<string, number>;
}

interface StudentView {
  id: string;
  version: number;
  status: string;
  errorCode?: string | null;
  /** 0…1 while training. */
  progress?: number;
  training?: { epoch?: number; epochs?: number } | null;
  evaluationAccuracy?: number | null;
  discard?: { status: string; teachers: Array<{ status: string; modelsDeleted?: number }> } | null;
}

/**
 * `conclave demo`: the platform's main job on this machine — starts every service as a process on loopback, loads
 * MNIST into the hospitals' teacher services, trains the teachers, runs a Confident-GNMax labeling job, trains
 * and accepts the student (which discards the teachers), and returns the table of the reproduction. The platform
 * is returned running; the caller stops it.
 */
export async function runDemo(options: DemoOptions): Promise<{ result: DemoResult; platform: Platform }> {
  const s = options.settings;
  const dataDir = prepareDataDir(options.dataDir);
  const progress = options.progress === false ? undefined : new DemoProgress();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    const result = await work();
    steps[name] = Math.round((performance.now() - t0) / 10) / 100;
    return result;
  };
  const ids = 'abcdefghijklmnopqrstuvwxyz'.slice(0, s.services).split('');
  const teachers = teacherCount(s);

  let platform: Platform | undefined;
  if (options.postgres) await dropDatabases(options.postgres);
  try {
    platform = await step('startSec', async () => {
      const bar = progress?.bar('start services', ids.length + 4, 'databases, migrations, api keys');
      const started = await startPlatform({
        dataDir,
        teachers: ids,
        ports: options.ports,
        postgres: options.postgres,
        logLevel: 'warn',
      });
      bar?.done(`${Object.keys(started.processes).length} processes`);
      return started;
    });
    const services = platform.services;
    const api = services.api!;
    const student = services.student!;
    const apiAdmin = client('api', api.url, api.adminKey);
    const studentAdmin = client('student', student.url, student.adminKey);
    const hospitals = ids.map((id) => services[`teacher-${id}`]!);

    // 1. Each hospital loads disjoint slices of MNIST's training set, one partition per teacher.
    await step('loadSec', async () => {
      const bar = progress?.bar('load hospital data', teachers, 'partitions');
      let loaded = 0;
      await Promise.all(
        hospitals.map((h, i) =>
          loadMnistPartitions({
            url: h.url,
            key: h.adminKey,
            dataset: DEMO_DATASET,
            partitions: s.partitionsPerService,
            perPartition: s.perPartition,
            offset: i * s.partitionsPerService * s.perPartition,
            onLoaded: () => {
              options.signal?.throwIfAborted();
              bar?.update(++loaded, `partitions (${loaded * s.perPartition} images)`);
            },
          }),
        ),
      );
    });

    // 2. Every hospital trains one teacher per partition, in the background; the services train in parallel.
    await step('trainTeachersSec', async () => {
      const bar = progress?.bar('train teachers', teachers, s.teacherArchitecture);
      for (const [i, h] of hospitals.entries()) {
        await client(h.name, h.url, h.adminKey).post(`/v1/datasets/${DEMO_DATASET}/train`, {
          architecture: s.teacherArchitecture,
          ...(s.teacherEpochs ? { epochs: s.teacherEpochs } : {}),
          seed: 1000 + i,
          capcHeads: false, // the demo's job runs in pate mode: no confidential-mode heads to fit
        });
      }
      for (;;) {
        const statuses = await Promise.all(
          hospitals.map((h) =>
            client(h.name, h.url, h.adminKey).get<{
              partitions: Array<{ status: string; epoch?: number; epochs?: number }>;
            }>(`/v1/datasets/${DEMO_DATASET}/training`),
          ),
        );
        const all = statuses.flatMap((x) => x.partitions);
        const failed = all.filter((p) => p.status === 'failed').length;
        if (failed > 0) throw new Error(`${failed} teachers failed to train (see ${join(dataDir, 'logs')})`);
        const ready = all.filter((p) => p.status === 'ready').length;
        const partial = all
          .filter((p) => p.status === 'training' && p.epoch && p.epochs)
          .reduce((sum, p) => sum + (p.epoch! - 1) / p.epochs!, 0);
        bar?.update(Math.floor(ready + partial), `ready ${ready}`);
        if (ready === teachers) break;
        await pause(options.signal);
      }
      bar?.done(`${teachers} ready`);
    });

    // 3. The consortium: guardian keys issued by each hospital, parties, the dataset, a budget, the querying
    //    party's pool (the first MNIST test images) and its held-out evaluation set (the last ones).
    const setup = await step('setupSec', async () => {
      const bar = progress?.bar('set up consortium', 4 + hospitals.length, '');
      const guardianKeys: string[] = [];
      for (const h of hospitals) {
        const { key } = await client(h.name, h.url, h.adminKey).post<{ key: string }>('/v1/keys', {
          role: 'guardian',
          label: 'consortium guardian',
        });
        guardianKeys.push(key);
        bar?.update(guardianKeys.length, 'guardian keys');
      }
      const consortium = await apiAdmin.post<{ id: string }>('/v1/consortia', { name: 'MNIST hospitals' });
      for (const [i, h] of hospitals.entries()) {
        await apiAdmin.post(`/v1/consortia/${consortium.id}/parties`, {
          name: `hospital-${ids[i]}`,
          kind: 'data-owner',
          teacherServiceUrl: h.url,
          guardianApiKey: guardianKeys[i],
        });
      }
      const querying = await apiAdmin.post<{ id: string }>(`/v1/consortia/${consortium.id}/parties`, {
        name: 'hospital-q',
        kind: 'querying-party',
      });
      const { key: partyKey } = await apiAdmin.post<{ key: string }>('/v1/keys', {
        role: 'querying-party',
        label: 'hospital q',
        partyId: querying.id,
      });
      bar?.update(hospitals.length + 1, 'parties');
      const dataset = await apiAdmin.post<{ id: string }>(`/v1/consortia/${consortium.id}/datasets`, {
        name: DEMO_DATASET,
        numClasses: 10,
        recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
      });
      const budget = await apiAdmin.post<{ id: string; conversion: string }>(`/v1/datasets/${dataset.id}/budgets`, {
        name: 'student labels',
        epsilon: s.epsilonLimit,
        delta: s.delta,
      });
      bar?.update(hospitals.length + 2, 'dataset and budget');
      const party = client('api', api.url, partyKey);
      const pool = await sliceMnistIdx('test', 0, s.poolSize);
      const uploaded = await party.post<{ id: string; recordCount: number }>(
        `/v1/unlabeled-datasets?consortiumDatasetId=${dataset.id}&name=mnist-test-pool&format=idx`,
        pool.images,
        { timeoutMs: 600_000, headers: { 'content-type': 'application/octet-stream' } },
      );
      bar?.update(hospitals.length + 3, 'pool uploaded');
      const evaluationOffset = 10_000 - s.evaluationSize;
      const held = await sliceMnistIdx('test', evaluationOffset, s.evaluationSize);
      const form = new FormData();
      form.append('labels', new Blob([held.labels]), 'labels-idx1-ubyte');
      form.append('images', new Blob([held.images]), 'images-idx3-ubyte');
      const evaluation = await party.post<{ id: string; recordCount: number }>(
        `/v1/unlabeled-datasets?consortiumDatasetId=${dataset.id}&name=mnist-test-heldout&format=idx&purpose=evaluation`,
        form,
        { timeoutMs: 600_000 },
      );
      bar?.done(`pool ${uploaded.recordCount}, held-out ${evaluation.recordCount}`);
      return {
        partyKey,
        datasetId: dataset.id,
        budgetId: budget.id,
        conversion: budget.conversion,
        poolId: uploaded.id,
        evaluationId: evaluation.id,
        evaluationOffset,
      };
    });
    const party = client('api', api.url, setup.partyKey);

    // 4. The labeling job: the guardian collects votes, answers with noise, charges the budget.
    const labelQueries = async (budgetId: string, queries: number, m: DemoSettings['mechanism'], title: string) => {
      const bar = progress?.bar(title, queries, m.name);
      const created = await party.post<{ id: string }>('/v1/jobs', {
        unlabeledDatasetId: setup.poolId,
        budgetId,
        mechanism: m.name,
        params: { threshold: m.threshold, sigma1: m.sigma1, sigma2: m.sigma2 },
        maxQueries: queries,
      });
      for (;;) {
        const view = await party.get<JobView>(`/v1/jobs/${created.id}`);
        const q = view.queries;
        bar?.update(queries - (q.pending ?? 0), `answered ${q.answered ?? 0}`);
        if (!['queued', 'running'].includes(view.status)) {
          if (!['completed', 'budget-exhausted'].includes(view.status)) {
            throw new Error(`the labeling job ended ${view.status} (${view.errorCode ?? 'no error code'})`);
          }
          bar?.done(`answered ${q.answered ?? 0}, ${view.status}`);
          const released = await party.get<Array<{ ordinal: number; status: string; label: unknown }>>(
            `/v1/jobs/${view.id}/labels?limit=${queries}`,
          );
          return { view, released };
        }
        await pause(options.signal);
      }
    };
    const { view: job, released } = await step('labelingSec', () =>
      labelQueries(setup.budgetId, s.queries, s.mechanism, 'label queries'),
    );

    // 5. The student: released labels plus the unlabeled rest of the pool; evaluated on the held-out set.
    const trainStudent = async (jobId: string, title: string) => {
      const bar = progress?.bar(title, 1000, s.studentPreset);
      const created = await studentAdmin.post<StudentView>('/v1/students', {
        jobId,
        evaluationDatasetId: setup.evaluationId,
        preset: s.studentPreset,
      });
      for (;;) {
        const view = await studentAdmin.get<StudentView>(`/v1/students/${created.id}`);
        const t = view.training;
        bar?.update(
          Math.floor(1000 * (view.progress ?? 0)),
          t?.epoch && t.epochs ? `epoch ${t.epoch}/${t.epochs}` : view.status,
        );
        if (view.status === 'failed') throw new Error(`student training failed (${view.errorCode ?? 'no code'})`);
        if (view.status !== 'training') {
          bar?.done(`accuracy ${formatPercent(view.evaluationAccuracy ?? 0)}`);
          return view;
        }
        await pause(options.signal);
      }
    };
    const trained = await step('trainStudentSec', () => trainStudent(job.id, 'train student'));

    // 6. The non-private baseline on the same held-out images (the demo's own process; loaded on demand).
    const baseline = await step('baselineSec', async () => {
      const { trainBaseline } = await import('./demo.baseline.js');
      const bar = progress?.bar('non-private baseline', s.baselineEpochs, 'epochs');
      const result = await trainBaseline({
        trainRecords: teachers * s.perPartition,
        evaluationOffset: setup.evaluationOffset,
        evaluationSize: s.evaluationSize,
        epochs: s.baselineEpochs,
        onProgress: (p) => bar?.update(p.epoch - 1 + p.batch / p.batches, `epoch ${p.epoch}/${p.epochs}`),
      });
      bar?.done(`accuracy ${formatPercent(result.accuracy)}`);
      return result;
    });

    // Optional sweep (the reproduction benchmark's plot): more jobs on fresh budgets, a student each, while the
    // teachers still exist.
    const sweep: SweepPoint[] = [];
    if (options.sweep?.length) {
      await step('sweepSec', async () => {
        for (const [k, point] of options.sweep!.entries()) {
          const budget = await apiAdmin.post<{ id: string }>(`/v1/datasets/${setup.datasetId}/budgets`, {
            name: `sweep ${k + 1}: ${point.label}`,
            epsilon: s.epsilonLimit,
            delta: s.delta,
          });
          const labelled = await labelQueries(budget.id, point.queries, point.mechanism, `sweep ${k + 1} labels`);
          const sweepStudent = await trainStudent(labelled.view.id, `sweep ${k + 1} student`);
          const ev = await evaluateJob({
            coordinatorUrl: platform!.coordinatorUrl,
            jobId: labelled.view.id,
            budgetId: budget.id,
            delta: s.delta,
            truth: await poolTruth(point.queries),
            released: labelled.released,
          });
          sweep.push({
            label: point.label,
            queriesAsked: point.queries,
            queriesAnswered: labelled.view.queries.answered ?? 0,
            epsilonBasic: ev.epsilonBasic,
            epsilonImproved: ev.epsilonImproved,
            studentAccuracy: sweepStudent.evaluationAccuracy ?? 0,
          });
        }
      });
    }

    // 7. Accept the student: the guardian has every hospital discard its teachers (audited).
    const discarded = await step('discardSec', async () => {
      const bar = progress?.bar('discard teachers', hospitals.length, 'services');
      await studentAdmin.post(`/v1/students/${trained.id}/accept`, {});
      for (;;) {
        const view = await studentAdmin.get<StudentView>(`/v1/students/${trained.id}`);
        const teachersDone = view.discard?.teachers.filter((t) => t.status === 'done') ?? [];
        bar?.update(teachersDone.length, 'services');
        if (view.discard?.status === 'failed') throw new Error('discarding the teachers failed (see the audit log)');
        if (view.discard?.status === 'done') {
          const models = teachersDone.reduce((sum, t) => sum + (t.modelsDeleted ?? 0), 0);
          bar?.done(`${models} teacher models deleted`);
          return models;
        }
        await pause(options.signal);
      }
    });

    // 8. The table: ε from the budget's ledger (libs/dp), accuracies against MNIST's labels.
    const truth = await poolTruth(s.queries);
    const evaluation = await evaluateJob({
      coordinatorUrl: platform.coordinatorUrl,
      jobId: job.id,
      budgetId: setup.budgetId,
      delta: s.delta,
      truth,
      released,
    });
    const budget = await apiAdmin.get<{ epsilonCharged?: number; epsilonDataIndependent: number }>(
      `/v1/budgets/${setup.budgetId}`,
    );
    progress?.stop();
    const q = job.queries;
    const result: DemoResult = {
      setting: options.size,
      teachers,
      teacherServices: s.services,
      queriesAsked: s.queries,
      queriesAnswered: q.answered ?? 0,
      queriesRefused: (q['refused-threshold'] ?? 0) + (q['refused-budget'] ?? 0),
      mechanism: `${s.mechanism.name} (T=${s.mechanism.threshold}, σ1=${s.mechanism.sigma1}, σ2=${s.mechanism.sigma2})`,
      epsilon: budget.epsilonCharged ?? evaluation.epsilonImproved,
      delta: s.delta,
      conversion: setup.conversion,
      epsilonBasic: evaluation.epsilonBasic,
      epsilonImproved: evaluation.epsilonImproved,
      epsilonDataIndependent: budget.epsilonDataIndependent,
      ensembleAccuracy: evaluation.ensembleAccuracy,
      answeredLabelAccuracy: evaluation.answeredLabelAccuracy,
      studentAccuracy: trained.evaluationAccuracy ?? 0,
      baselineAccuracy: baseline.accuracy,
      baselineTrainRecords: baseline.trainRecords,
      studentId: trained.id,
      studentVersion: trained.version,
      teachersDiscarded: discarded,
      apiUrl: api.url,
      studentUrl: student.url,
      steps,
      ...(options.sweep?.length ? { sweep } : {}),
    };
    return { result, platform };
  } catch (error) {
    progress?.stop();
    await platform?.stop().catch(() => undefined);
    throw error;
  }
}

/** MNIST's labels of the first `count` test images (the pool's records by ordinal). */
async function poolTruth(count: number): Promise<Uint8Array> {
  return (await sliceMnistIdx('test', 0, count)).labels.subarray(8);
}

function client(service: string, baseUrl: string, apiKey: string): ServiceClient {
  return new ServiceClient({ service, baseUrl, apiKey, retries: 2, timeoutMs: 60_000 });
}

async function pause(signal?: AbortSignal): Promise<void> {
  await sleep(POLL_MS, undefined, { signal });
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

/**
 * The demo owns its data directory: a fresh one each run. A directory it made before (marked) is replaced; any
 * other non-empty directory is refused, so the demo never deletes data it did not create.
 */
function prepareDataDir(dir: string): string {
  const path = resolve(dir);
  if (existsSync(path) && readdirSync(path).length > 0) {
    if (!existsSync(join(path, MARKER))) {
      throw new Error(`${path} exists and was not made by the demo: pass another --data-dir`);
    }
    rmSync(path, { recursive: true, force: true });
  }
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, MARKER), 'made by `conclave demo`; replaced on its next run\n');
  return path;
}
