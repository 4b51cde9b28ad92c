import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DomainError } from '@conclave/common';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { CoordinatorFactory } from '../testing/coordinator.factory.js';
import { LabelingJobRepository } from './labeling-job.repository.js';
import { PrivacyBudgetRepository } from './privacy-budget.repository.js';
import { StudentModelRepository } from './student-model.repository.js';
import { UnlabeledDatasetRepository } from './unlabeled-dataset.repository.js';

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a failure');
}

describe(`student registry and evaluation data (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let factory: CoordinatorFactory;
  let students: StudentModelRepository;
  let unlabeled: UnlabeledDatasetRepository;
  let jobs: LabelingJobRepository;
  let budgets: PrivacyBudgetRepository;

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    factory = new CoordinatorFactory(db.dataSource);
    students = new StudentModelRepository(db.dataSource);
    unlabeled = new UnlabeledDatasetRepository(db.dataSource);
    jobs = new LabelingJobRepository(db.dataSource);
    budgets = new PrivacyBudgetRepository(db.dataSource);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  /** A dataset, a querying party, a pool of `records` records (feature 0 = ordinal) and a job on the first `asked`. */
  async function jobOn(records: number, asked: number) {
    const dataset = await factory.newDataset({ numClasses: 3 });
    const party = await factory.newParty(dataset.consortiumId);
    const pool = await unlabeled.createWithRecords(
      {
        ownerPartyId: party.id,
        consortiumDatasetId: dataset.id,
        name: 'pool',
        format: 'csv',
        recordSchema: {},
        contentHash: () => '0'.repeat(64),
      },
      (async function* () {
        for (let i = 0; i < records; i += 1) yield Float32Array.of(i, 0.5);
      })(),
    );
    const budget = await budgets.create({
      consortiumDatasetId: dataset.id,
      name: 'b',
      epsilonLimit: 10,
      delta: 1e-5,
      conversion: 'improved',
      orders: [2, 4],
    });
    const job = await jobs.create({
      unlabeledDatasetId: pool.id,
      budgetId: budget.id,
      requestedByPartyId: party.id,
      mode: 'pate',
      mechanism: 'gnmax',
      params: { sigma: 1 },
      maxQueries: asked,
      quorum: 1,
    });
    return { dataset, party, pool, job };
  }

  it('numbers versions per dataset and counts training attempts', async () => {
    const { dataset, job } = await jobOn(3, 3);
    const input = {
      consortiumDatasetId: dataset.id,
      jobId: job.id,
      evaluationDatasetId: null,
      requestedByPartyId: null,
      requestedByKeyId: null,
      trainingRequest: { preset: 'quick' as const },
    };
    const [first, second] = await Promise.all([students.createTraining(input), students.createTraining(input)]);
    expect([first.version, second.version].sort()).toEqual([1, 2]);
    const other = await jobOn(1, 1);
    expect((await students.createTraining({ ...input, consortiumDatasetId: other.dataset.id })).version).toBe(1);

    expect(await students.startAttempt(first.id)).toBe(1);
    expect(await students.startAttempt(first.id)).toBe(2);
    await students.updateProgress(first.id, {
      fraction: 0.5,
      epoch: 1,
      epochs: 2,
      step: 3,
      steps: 3,
      loss: 0.7,
      pseudoLabelRate: 0,
    });
    expect((await students.findById(first.id))!.progress).toMatchObject({ fraction: 0.5 });
    expect(await students.markFailed(first.id, 'TRAINING_INTERRUPTED')).toBe(true);
    expect(await students.startAttempt(first.id)).toBeNull(); // no longer training
    expect(await students.markTrained(first.id, trained())).toBe(false);
    expect((await students.listTraining()).map((s) => s.id)).toContain(second.id);
    expect((await students.listTraining()).map((s) => s.id)).not.toContain(first.id);
  });

  function trained() {
    return {
      method: 'fixmatch',
      architecture: 'mlp',
      evaluationAccuracy: 0.9,
      artifactPath: 'student/models/x',
      contentHash: 'a'.repeat(64),
      modelCard: { privacy: { epsilon: 1 } },
    };
  }

  it('accepts one version per dataset: the one before is superseded; only trained students can be accepted', async () => {
    const { dataset, job } = await jobOn(2, 2);
    const input = {
      consortiumDatasetId: dataset.id,
      jobId: job.id,
      evaluationDatasetId: null,
      requestedByPartyId: null,
      requestedByKeyId: null,
      trainingRequest: {},
    };
    const v1 = await students.createTraining(input);
    const v2 = await students.createTraining(input);
    expect((await failure(students.accept(v1.id, null))).code).toBe('STUDENT_NOT_READY');
    expect(await students.markTrained(v1.id, trained())).toBe(true);
    expect(await students.markTrained(v2.id, trained())).toBe(true);
    expect((await students.findById(v1.id))!.trainedAt).not.toBeNull();

    const key = '00000000-0000-4000-8000-000000000001';
    const first = await students.accept(v1.id, key);
    expect(first).toMatchObject({ supersededId: null, alreadyAccepted: false });
    expect(first.student).toMatchObject({ status: 'accepted', acceptedByKeyId: key });
    expect((await students.accept(v1.id, key)).alreadyAccepted).toBe(true);
    const second = await students.accept(v2.id, key);
    expect(second.supersededId).toBe(v1.id);
    expect((await students.findById(v1.id))!).toMatchObject({ status: 'superseded' });
    expect((await students.findAccepted(dataset.id))!.id).toBe(v2.id);
    expect((await students.listForDataset(dataset.id)).map((s) => s.version)).toEqual([2, 1]);
    // A superseded version can be deployed again (a rollback).
    expect((await students.accept(v1.id, key)).supersededId).toBe(v2.id);
    expect((await failure(students.accept('00000000-0000-4000-8000-00000000000f', key))).code).toBe('NOT_FOUND');
  });

  it("reads a job's pool with the released labels only: refused and unasked records come unlabeled", async () => {
    const { pool, job } = await jobOn(5, 4);
    const pending = await jobs.nextPending(job.id, 10);
    await budgets.transaction((tx) =>
      jobs.recordOutcomes(tx, job.id, [
        { queryId: pending[0]!.id, status: 'answered', label: 2 },
        { queryId: pending[1]!.id, status: 'refused-threshold', label: null },
        { queryId: pending[2]!.id, status: 'answered', label: 0 },
        { queryId: pending[3]!.id, status: 'refused-budget', label: null },
      ]),
    );
    const records = [];
    for await (const record of unlabeled.recordsWithReleasedLabels({ jobId: job.id, datasetId: pool.id })) {
      records.push({ first: record.features[0], label: record.label });
    }
    expect(records).toEqual([
      { first: 0, label: 2 },
      { first: 1, label: null },
      { first: 2, label: 0 },
      { first: 3, label: null },
      { first: 4, label: null },
    ]);
  });

  it('stores an evaluation dataset with its labels and purpose, and reads it back in order', async () => {
    const dataset = await factory.newDataset({ numClasses: 3 });
    const party = await factory.newParty(dataset.consortiumId);
    const stored = await unlabeled.createWithRecords(
      {
        ownerPartyId: party.id,
        consortiumDatasetId: dataset.id,
        name: 'held out',
        purpose: 'evaluation',
        format: 'csv',
        recordSchema: {},
        contentHash: () => '1'.repeat(64),
      },
      (async function* () {
        for (let i = 0; i < 2500; i += 1) yield { features: Float32Array.of(i, 1), label: i % 3 };
      })(),
    );
    expect(stored).toMatchObject({ purpose: 'evaluation', consortiumDatasetId: dataset.id, recordCount: 2500 });
    let n = 0;
    for await (const record of unlabeled.records(stored.id)) {
      expect(record).toMatchObject({ ordinal: n, label: n % 3 });
      expect(record.features[0]).toBe(n);
      n += 1;
    }
    expect(n).toBe(2500);
    expect((await unlabeled.listForDataset({ consortiumDatasetId: dataset.id, purpose: 'evaluation' })).length).toBe(1);
    expect((await unlabeled.listForDataset({ consortiumDatasetId: dataset.id, purpose: 'pool' })).length).toBe(0);
  });
});
