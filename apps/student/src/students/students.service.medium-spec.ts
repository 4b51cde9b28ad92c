import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, type DomainError, type Principal } from '@conclave/common';
import {
  AuditRepository,
  ConsortiumRepository,
  CoordinatorFactory,
  createTestDatabase,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  StudentModelRepository,
  TeacherDiscardRepository,
  UnlabeledDatasetRepository,
  type LabelingJobEntity,
  type TestDatabase,
} from '@conclave/db';
import type { DpEvent } from '@conclave/dp';
import { PrivacyBudgetService, type TeacherDiscardQueue, type TeacherDiscardTask } from '@conclave/guardian';
import { StudentArtifactStore } from '../artifacts/student-artifact.store.js';
import { PredictService } from '../predict/predict.service.js';
import { StudentModelCache } from '../predict/student-model.cache.js';
import { StudentEnv } from '../student.env.js';
import { TensorflowRuntime } from '../tensorflow/tensorflow.runtime.js';
import { StudentTrainer } from '../training/student-trainer.js';
import type { StudentTrainingQueue } from '../training/student-training.queue.js';
import { StudentsService } from './students.service.js';

const SCHEMA = {
  kind: 'tabular',
  features: [
    { name: 'x', type: 'number' },
    { name: 'y', type: 'number' },
  ],
};

/** Record i of class i mod 3: three well-separated clusters (deterministic jitter). */
function recordOf(i: number): { features: Float32Array; label: number } {
  const label = i % 3;
  const angle = (2 * Math.PI * label) / 3;
  return {
    features: Float32Array.of(
      2 * Math.cos(angle) + 0.4 * Math.sin(i * 12.9898),
      2 * Math.sin(angle) + 0.4 * Math.cos(i * 78.233),
    ),
    label,
  };
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a failure');
}

async function text(body: Readable | Buffer): Promise<string> {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe(`students: training, registry, acceptance, inference (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  const logger = createLogger('test', 'silent');
  let db: TestDatabase;
  let dataDir: string;
  let service: StudentsService;
  let trainer: StudentTrainer;
  let predict: PredictService;
  let students: StudentModelRepository;
  let jobs: LabelingJobRepository;
  const trainingQueue: string[] = [];
  const discardQueue: TeacherDiscardTask[] = [];
  let admin: Principal;
  let party: Principal;
  let stranger: Principal;
  let datasetId: string;
  let job: LabelingJobEntity;
  let evaluationId: string;
  let poolId: string;

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    dataDir = mkdtempSync(join(tmpdir(), 'conclave-student-'));
    const config = Object.assign(new StudentEnv(), {
      CONCLAVE_DATA_DIR: dataDir,
      TF_BACKEND: 'wasm',
      PREDICT_MAX_RECORDS: 50,
      STUDENT_TRAINING_ATTEMPTS: 2,
    });
    const budgetRows = new PrivacyBudgetRepository(db.dataSource);
    const budgets = new PrivacyBudgetService(budgetRows);
    const consortia = new ConsortiumRepository(db.dataSource);
    const unlabeled = new UnlabeledDatasetRepository(db.dataSource);
    const audit = new AuditRepository(db.dataSource);
    students = new StudentModelRepository(db.dataSource);
    jobs = new LabelingJobRepository(db.dataSource);
    const artifacts = new StudentArtifactStore(config);
    const tensorflow = new TensorflowRuntime(config, logger);
    await tensorflow.onModuleInit();
    service = new StudentsService(
      students,
      jobs,
      budgetRows,
      consortia,
      unlabeled,
      new TeacherDiscardRepository(db.dataSource),
      audit,
      { enqueue: async (id: string) => void trainingQueue.push(id) } as unknown as StudentTrainingQueue,
      { enqueue: async (task: TeacherDiscardTask) => void discardQueue.push(task) } as unknown as TeacherDiscardQueue,
      artifacts,
    );
    trainer = new StudentTrainer(
      students,
      jobs,
      budgetRows,
      budgets,
      consortia,
      unlabeled,
      audit,
      artifacts,
      tensorflow,
      config,
      logger,
    );
    predict = new PredictService(students, service, new StudentModelCache(artifacts), config);

    // A consortium: two data owners, a querying party (and one of another consortium), a tabular dataset.
    const factory = new CoordinatorFactory(db.dataSource);
    const consortium = await factory.newConsortium();
    for (const name of ['owner-a', 'owner-b']) {
      await consortia.createParty({
        consortiumId: consortium.id,
        name,
        kind: 'data-owner',
        teacherServiceUrl: `http://127.0.0.1:1/${name}`,
      });
    }
    const querying = await factory.newParty(consortium.id, 'querying-party');
    const other = await factory.newParty((await factory.newConsortium()).id, 'querying-party');
    admin = { keyId: '00000000-0000-4000-8000-0000000000a1', role: 'admin', partyId: null, label: 'operator' };
    party = { keyId: '00000000-0000-4000-8000-0000000000b1', role: 'querying-party', partyId: querying.id, label: 'q' };
    stranger = { keyId: '00000000-0000-4000-8000-0000000000c1', role: 'querying-party', partyId: other.id, label: 'o' };
    const dataset = await consortia.createDataset({
      consortiumId: consortium.id,
      name: 'clusters',
      numClasses: 3,
      labelKind: 'single-label',
      recordSchema: SCHEMA,
    });
    datasetId = dataset.id;

    // The pool (300 records), a job that asked 200 and released 150 labels (charged data-dependently).
    const pool = await unlabeled.createWithRecords(
      {
        ownerPartyId: querying.id,
        consortiumDatasetId: dataset.id,
        name: 'pool',
        format: 'csv',
        recordSchema: SCHEMA,
        contentHash: () => '0'.repeat(64),
      },
      (async function* () {
        for (let i = 0; i < 300; i += 1) yield recordOf(i).features;
      })(),
    );
    poolId = pool.id;
    const budget = await budgets.create({ consortiumDatasetId: dataset.id, name: 'b', epsilonLimit: 50, delta: 1e-5 });
    job = await jobs.create({
      unlabeledDatasetId: pool.id,
      budgetId: budget.id,
      requestedByPartyId: querying.id,
      mode: 'pate',
      mechanism: 'gnmax',
      params: { sigma: 40 },
      maxQueries: 200,
      quorum: 1,
    });
    const pending = await jobs.nextPending(job.id, 200);
    const event = (label: number): DpEvent => ({
      kind: 'gnmaxDataDependent',
      sigma: 40,
      votes: [0, 1, 2].map((c) => (c === label ? 240 : 5)),
    });
    await budgets.chargeAndReleaseBatch({
      budgetId: budget.id,
      jobId: job.id,
      items: pending.slice(0, 150).map((q) => ({ queryId: q.id, event: event(recordOf(q.ordinal).label) })),
      release: (tx, charged) =>
        jobs.recordOutcomes(
          tx,
          job.id,
          charged.map((i) => ({
            queryId: pending[i]!.id,
            status: 'answered',
            label: recordOf(pending[i]!.ordinal).label,
          })),
        ),
    });
    await budgetRows.transaction((tx) =>
      jobs.recordOutcomes(
        tx,
        job.id,
        pending.slice(150).map((q) => ({ queryId: q.id, status: 'refused-threshold' as const, label: null })),
      ),
    );

    // The querying party's held-out evaluation set: 90 records with their true labels.
    const evaluation = await unlabeled.createWithRecords(
      {
        ownerPartyId: querying.id,
        consortiumDatasetId: dataset.id,
        name: 'held out',
        purpose: 'evaluation',
        format: 'csv',
        recordSchema: SCHEMA,
        contentHash: () => '1'.repeat(64),
      },
      (async function* () {
        for (let i = 1000; i < 1090; i += 1) yield recordOf(i);
      })(),
    );
    evaluationId = evaluation.id;
  });
  afterAll(async () => {
    await db?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses students of unfinished jobs, of jobs of others, and evaluation on a pool dataset', async () => {
    const request = { jobId: job.id, evaluationDatasetId: evaluationId };
    expect((await failure(service.create(request, party))).code).toBe('JOB_NOT_FINISHED');
    await jobs.transition(job.id, ['queued'], 'completed');
    expect((await failure(service.create(request, stranger))).code).toBe('NOT_FOUND');
    expect((await failure(service.create({ jobId: job.id, evaluationDatasetId: poolId }, party))).code).toBe(
      'WRONG_DATASET_PURPOSE',
    );
    expect((await failure(service.create({ ...request, architecture: 'cnn' }, party))).code).toBe('VALIDATION_FAILED');
    expect(trainingQueue).toEqual([]);
  });

  it('trains a student from the released labels and the unlabeled rest, evaluates, exports it with its card', async () => {
    const created = await service.create(
      { jobId: job.id, evaluationDatasetId: evaluationId, preset: 'quick', epochs: 40, seed: 7 },
      party,
    );
    expect(created).toMatchObject({ version: 1, status: 'training' });
    expect(trainingQueue).toEqual([created.id]);
    expect((await service.get(created.id, party)).progress).toBe(0);

    await trainer.run(created.id);
    const seen = await service.get(created.id, admin);
    expect(seen).toMatchObject({ status: 'trained', progress: 1, method: 'supervised', architecture: 'mlp' });
    expect(seen.evaluationAccuracy).toBeGreaterThan(0.85);
    const card = seen.modelCard as any;
    expect(card.data).toMatchObject({
      poolDatasetId: poolId,
      poolRecords: 300,
      labeledRecords: 150,
      unlabeledRecords: 150,
      evaluationDatasetId: evaluationId,
      evaluationRecords: 90,
    });
    expect(card.labeling).toMatchObject({ jobId: job.id, mechanism: 'gnmax', queriesAsked: 200, queriesAnswered: 150 });
    expect(card.privacy).toMatchObject({ epsilonKind: 'data-dependent', publishable: false, conversion: 'improved' });
    expect(card.privacy.epsilonDataIndependent).toBeGreaterThan(card.privacy.epsilon);
    expect(card.evaluation.accuracy).toBe(seen.evaluationAccuracy);
    expect(card.model.contentHash).toBe(seen.contentHash);

    // A querying party sees the publishable ε only; the download of the card too.
    const shown = (await service.get(created.id, party)).modelCard as any;
    expect(shown.privacy).toMatchObject({ epsilon: card.privacy.epsilonDataIndependent, publishable: true });
    expect(
      JSON.parse(await text((await service.file(created.id, 'model-card.json', party)).body)).privacy.publishable,
    ).toBe(true);
    expect(
      JSON.parse(await text((await service.file(created.id, 'model-card.json', admin)).body)).privacy.publishable,
    ).toBe(false);
    const modelJson = JSON.parse(await text((await service.file(created.id, 'model.json', party)).body));
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect((await failure(service.get(created.id, stranger))).code).toBe('NOT_FOUND');
    expect((await service.list(datasetId, party)).map((s) => s.version)).toEqual([1]);
  });

  it('deploys an accepted student, supersedes the one before, asks the guardian to discard, and predicts with it', async () => {
    expect((await failure(predict.predict(datasetId, [[0, 0]], party))).code).toBe('NO_ACCEPTED_STUDENT');
    const [v1] = await service.list(datasetId, admin);
    const accepted = await service.accept(v1!.id, admin);
    expect(accepted).toMatchObject({ id: v1!.id, version: 1, status: 'accepted', supersededId: null });
    expect(accepted.discard.status).toBe('pending');
    expect(accepted.discard.teachers.map((t) => [t.party, t.status])).toEqual([
      ['owner-a', 'pending'],
      ['owner-b', 'pending'],
    ]);
    expect(discardQueue).toEqual([
      { datasetId, studentId: v1!.id, requestedByKeyId: admin.keyId, reason: `student ${v1!.id} v1 accepted` },
    ]);
    expect((await service.get(v1!.id, party)).discard?.status).toBe('pending');

    const centers = [0, 1, 2].map((c) => [2 * Math.cos((2 * Math.PI * c) / 3), 2 * Math.sin((2 * Math.PI * c) / 3)]);
    const answer = await predict.predict(datasetId, centers, party);
    expect(answer).toMatchObject({ studentId: v1!.id, version: 1 });
    expect(answer.predictions.map((p) => p.label)).toEqual([0, 1, 2]);
    expect(answer.predictions.every((p) => p.confidence > 0.5 && p.confidence <= 1)).toBe(true);
    expect((await failure(predict.predict(datasetId, [[0, 0, 1]], party))).code).toBe('VALIDATION_FAILED');
    expect((await failure(predict.predict(datasetId, [[0, 0]], stranger))).code).toBe('NOT_FOUND');

    // Version 2 replaces it: predictions come from the new deployed version.
    const v2 = await service.create({ jobId: job.id, preset: 'quick', epochs: 5, seed: 1 }, admin);
    await trainer.run(v2.id);
    const second = await service.get(v2.id, admin);
    expect(second).toMatchObject({ version: 2, status: 'trained', evaluationAccuracy: null });
    expect((second.modelCard as any).evaluation).toEqual({ accuracy: null, records: 0 });
    expect((await service.accept(v2.id, admin)).supersededId).toBe(v1!.id);
    expect((await service.get(v1!.id, admin)).status).toBe('superseded');
    expect((await predict.predict(datasetId, centers, party)).version).toBe(2);
  });

  it('fails a student whose training keeps being interrupted', async () => {
    const created = await service.create({ jobId: job.id, preset: 'quick', epochs: 1 }, admin);
    await students.startAttempt(created.id); // two runs that never finished (killed processes)
    await students.startAttempt(created.id);
    await trainer.run(created.id);
    expect(await service.get(created.id, admin)).toMatchObject({ status: 'failed', errorCode: 'TRAINING_INTERRUPTED' });
    expect((await failure(service.accept(created.id, admin))).code).toBe('STUDENT_NOT_READY');
    expect((await failure(service.file(created.id, 'model.json', admin))).code).toBe('STUDENT_NOT_READY');
  });
});
