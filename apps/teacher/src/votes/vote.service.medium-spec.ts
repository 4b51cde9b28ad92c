import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { createLogger, type Principal, domainErrorOf } from '@conclave/common';
import { encodeFeatures, MAX_VOTE_BATCH } from '@conclave/contracts';
import {
  createTestDatabase,
  DiscardRepository,
  PartitionRepository,
  TeacherFactory,
  TeacherModelRepository,
  type TestDatabase,
} from '@conclave/db';
import { initTensorflow, loadMnist, MNIST_SCHEMA, type SingleLabelDataset } from '@conclave/ml';
import { DiscardService } from '../discard/discard.service.js';
import { TrainingRunner } from '../training/training.runner.js';
import { TrainingService } from '../training/training.service.js';
import { VoteRequestDto } from './dto/vote.dto.js';
import { TeacherModelCache } from './teacher-model.cache.js';
import { VoteService } from './vote.service.js';

const GUARDIAN: Principal = {
  keyId: '00000000-0000-4000-8000-00000000000a',
  role: 'guardian',
  partyId: null,
  label: 'g',
};

describe('teachers: training, votes and discard', () => {
  let db: TestDatabase;
  let factory: TeacherFactory;
  let partitions: PartitionRepository;
  let models: TeacherModelRepository;
  let cache: TeacherModelCache;
  let runner: TrainingRunner;
  let training: TrainingService;
  let votes: VoteService;
  let discard: DiscardService;
  let queries: SingleLabelDataset;
  const dataset = 'mnist';

  const request = (count = 40, overrides: Partial<VoteRequestDto> = {}): VoteRequestDto => ({
    dataset,
    queries: Array.from({ length: count }, (_, i) => ({
      queryId: `q-${i}`,
      features: encodeFeatures(queries.features.subarray(i * 784, (i + 1) * 784)),
    })),
    ...overrides,
  });

  beforeAll(async () => {
    const logger = createLogger('teacher-test', 'silent');
    await initTensorflow({ prefer: 'wasm', logger });
    db = await createTestDatabase('teacher');
    factory = new TeacherFactory(db.dataSource);
    partitions = new PartitionRepository(db.dataSource);
    models = new TeacherModelRepository(db.dataSource);
    const discards = new DiscardRepository(db.dataSource);
    cache = new TeacherModelCache(models, partitions);
    runner = new TrainingRunner(partitions, models, cache, logger);
    training = new TrainingService(partitions, models, runner);
    votes = new VoteService(partitions, discards, cache, 'teacher-test');
    discard = new DiscardService(discards, runner, cache, logger);

    // ~300 MNIST training images in two partitions of 150.
    const train = await loadMnist({ split: 'train', offset: 0, count: 300 });
    for (const [i, name] of ['p-000', 'p-001'].entries()) {
      const p = await factory.newPartition({ datasetName: dataset, name, recordSchema: MNIST_SCHEMA as never });
      async function* slice() {
        for (let r = i * 150; r < (i + 1) * 150; r++) {
          yield { features: train.features.slice(r * 784, (r + 1) * 784), label: train.labels[r]! };
        }
      }
      await partitions.appendRecords({ partitionId: p.id }, slice());
    }
    queries = await loadMnist({ split: 'test', offset: 0, count: 60 });
  });
  afterAll(async () => {
    await runner?.beforeApplicationShutdown();
    cache?.onModuleDestroy();
    await db?.cleanup();
  });

  it('refuses votes before any teacher is trained (409), and training options that do not fit the data', async () => {
    expect((await domainErrorOf(votes.vote(request(2)))).code).toBe('CONFLICT');
    expect((await domainErrorOf(votes.vote(request(2, { dataset: 'unknown' })))).code).toBe('NOT_FOUND');
    const tabular = await factory.newPartition();
    expect((await domainErrorOf(training.start(tabular.datasetName, { architecture: 'cnn' }))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await domainErrorOf(training.start(tabular.datasetName, {}))).code).toBe('CONFLICT');
    expect((await domainErrorOf(training.start('nothing-here', {}))).code).toBe('NOT_FOUND');
  });

  it('trains one teacher per partition in the background and reports progress', async () => {
    const started = await training.start(dataset, { architecture: 'mlp', epochs: 2, seed: 7 });
    expect(started.job).toMatchObject({ state: expect.stringMatching(/queued|running/), partitions: 2 });
    expect((await domainErrorOf(training.start(dataset, { architecture: 'mlp' }))).code).toBe('CONFLICT');
    await runner.whenIdle();
    const status = await training.status(dataset);
    expect(status.job).toMatchObject({ state: 'completed', completed: 2, failed: 0 });
    for (const p of status.partitions) {
      expect(p).toMatchObject({ status: 'ready', architecture: 'mlp', epochs: 2, recordCount: 150 });
      expect(p.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isFinite(p.loss)).toBe(true);
    }
  });

  it('answers a batch of queries with one vote per teacher, from models cached in memory', async () => {
    const response = await votes.vote(request(40));
    expect(response).toMatchObject({ service: 'teacher-test', dataset, teachers: 2 });
    expect(response.votes).toHaveLength(40);
    let agree = 0;
    response.votes.forEach((v, q) => {
      expect(v.queryId).toBe(`q-${q}`);
      expect(v.classes).toHaveLength(2);
      for (const c of v.classes!) {
        expect(Number.isInteger(c) && c >= 0 && c < 10).toBe(true);
        if (c === queries.labels[q]) agree += 1;
      }
    });
    // Two small teachers after two epochs on 150 images each: far better than chance (10%).
    expect(agree / 80).toBeGreaterThan(0.4);
    expect(cache.size(dataset)).toBe(2);
    const again = await votes.vote(request(40));
    expect(again.votes).toEqual(response.votes);
  });

  it('reads the database only when the teachers changed', async () => {
    const listReady = jest.spyOn(models, 'listReady');
    const loadReady = jest.spyOn(models, 'loadReady');
    const list = jest.spyOn(partitions, 'list');
    try {
      const first = await votes.vote(request(10));
      await votes.vote(request(10));
      expect(listReady).not.toHaveBeenCalled();
      expect(list).not.toHaveBeenCalled();
      // A teacher became ready (the training runner's hook): the lists are read again, the loaded models kept.
      cache.refresh(dataset);
      const [a, b] = await Promise.all([votes.vote(request(10)), votes.vote(request(10))]);
      expect(listReady).toHaveBeenCalledTimes(1);
      expect(list).toHaveBeenCalledTimes(1);
      expect(loadReady).not.toHaveBeenCalled();
      expect(a.votes).toEqual(first.votes);
      expect(b.votes).toEqual(first.votes);
      await votes.vote(request(10));
      expect(listReady).toHaveBeenCalledTimes(1);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('validates vote requests and names the query, never its values', async () => {
    const base = request(3);
    const short = {
      ...base,
      queries: base.queries.map((q, i) => (i === 1 ? { ...q, features: encodeFeatures(new Float32Array(783)) } : q)),
    };
    const error = await domainErrorOf(votes.vote(short));
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { query: 1 } });
    const nan = new Float32Array(784);
    nan[5] = Number.NaN;
    const withNaN = {
      ...base,
      queries: base.queries.map((q, i) => (i === 2 ? { ...q, features: encodeFeatures(nan) } : q)),
    };
    expect(await domainErrorOf(votes.vote(withNaN))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { query: 2 },
    });
    const notBase64 = { ...base, queries: [{ queryId: 'x', features: '!!not base64!!' }] };
    expect(await domainErrorOf(votes.vote(notBase64))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { query: 0 },
    });
    const repeated = { ...base, queries: [base.queries[0]!, base.queries[0]!] };
    expect(await domainErrorOf(votes.vote(repeated))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { query: 1 },
    });

    const tooMany = plainToInstance(VoteRequestDto, {
      dataset,
      queries: Array.from({ length: MAX_VOTE_BATCH + 1 }, (_, i) => ({ queryId: `q${i}`, features: '' })),
    });
    expect((await validate(tooMany)).map((e) => e.property)).toEqual(['queries']);
    const empty = plainToInstance(VoteRequestDto, { dataset, queries: [] });
    expect((await validate(empty)).map((e) => e.property)).toEqual(['queries']);
    for (const queries of [
      [{ queryId: 'a', features: '', extra: 1 }],
      [{ features: '' }],
      [
        { queryId: 'a', features: '' },
        { queryId: 'x'.repeat(201), features: '' },
      ],
      [{ queryId: 'a', features: 5 }],
      ['a'],
    ]) {
      const errors = await validate(plainToInstance(VoteRequestDto, { dataset, queries }));
      expect(errors.map((e) => e.property)).toEqual(['queries']);
      expect(Object.values(errors[0]!.constraints!).join()).toMatch(/^queries\.\d: /);
    }
    expect(await validate(plainToInstance(VoteRequestDto, request(MAX_VOTE_BATCH > 3 ? 3 : 1)))).toEqual([]);
  });

  it('replaces a retrained partition’s teacher, and the cache follows', async () => {
    const before = await models.listReady({ datasetName: dataset });
    const refresh = jest.spyOn(cache, 'refresh');
    await training.start(dataset, { architecture: 'mlp', epochs: 1, seed: 11, partitions: ['p-001'] });
    await runner.whenIdle();
    // Each teacher that becomes ready refreshes the cache at once (not only at the end of the run).
    expect(refresh.mock.calls).toEqual([[dataset]]);
    refresh.mockRestore();
    const after = await models.listReady({ datasetName: dataset });
    expect(after).toHaveLength(2);
    expect(after[0]!.modelId).toBe(before[0]!.modelId);
    expect(after[1]!.modelId).not.toBe(before[1]!.modelId);
    expect((await votes.vote(request(5))).teachers).toBe(2);
    expect(cache.size(dataset)).toBe(2);
  });

  it('discards the teachers: weights deleted, evidence recorded, votes answer 410', async () => {
    const ready = await models.listReady({ datasetName: dataset });
    const record = await discard.discard(dataset, { reason: 'student accepted' }, GUARDIAN);
    expect(record).toMatchObject({
      dataset,
      modelsDeleted: 2,
      dataDeleted: false,
      requestedByKeyId: GUARDIAN.keyId,
      requestedByRole: 'guardian',
      reason: 'student accepted',
    });
    expect([...record.deletedModelHashes].sort()).toEqual(ready.map((t) => t.contentHash).sort());
    expect(cache.size(dataset)).toBe(0);
    expect(await models.listReady({ datasetName: dataset })).toEqual([]);
    const weights: Array<{ n: string }> = await db.dataSource.query(
      'SELECT count(*)::text AS n FROM teacher_model WHERE weights IS NOT NULL OR topology IS NOT NULL',
    );
    expect(weights[0]!.n).toBe('0');
    expect((await domainErrorOf(votes.vote(request(2)))).code).toBe('TEACHER_DISCARDED');
    expect((await domainErrorOf(training.start(dataset, {}))).code).toBe('TEACHER_DISCARDED');

    const p = (await partitions.list({ datasetName: dataset }))[0]!;
    expect(await partitions.countRecords({ partitionId: p.id })).toBe(150);
    const second = await discard.discard(dataset, { deleteData: true }, GUARDIAN);
    expect(second).toMatchObject({ modelsDeleted: 0, dataDeleted: true });
    expect(await partitions.countRecords({ partitionId: p.id })).toBe(0);
    expect((await discard.list()).map((d) => d.id)).toEqual([second.id, record.id]);
    expect((await domainErrorOf(discard.discard('unknown', {}, GUARDIAN))).code).toBe('NOT_FOUND');
  });
});
