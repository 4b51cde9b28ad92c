import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, type Principal, domainErrorOf } from '@conclave/common';
import {
  CapcHeadRepository,
  createTestDatabase,
  DiscardRepository,
  PartitionRepository,
  TeacherFactory,
  TeacherModelRepository,
  type TestDatabase,
} from '@conclave/db';
import {
  capcHeadAccuracy,
  capcHeadContentHash,
  initTensorflow,
  loadMnist,
  MNIST_SCHEMA,
  publicFeatureExtractorById,
  type LinearHead,
} from '@conclave/ml';
import { DiscardService } from '../discard/discard.service.js';
import { TrainingRunner } from '../training/training.runner.js';
import { TrainingService } from '../training/training.service.js';
import { TeacherModelCache } from '../votes/teacher-model.cache.js';
import { CapcHeadsService } from './capc-heads.service.js';

const OWNER: Principal = { keyId: '00000000-0000-4000-8000-00000000000b', role: 'admin', partyId: null, label: 'o' };

describe('confidential-mode heads: fitted with the teachers, read back, discarded with them', () => {
  let db: TestDatabase;
  let partitions: PartitionRepository;
  let repository: CapcHeadRepository;
  let cache: TeacherModelCache;
  let runner: TrainingRunner;
  let training: TrainingService;
  let discard: DiscardService;
  let heads: CapcHeadsService;
  const dataset = 'mnist-capc';
  const tabular = 'clinic-capc';

  beforeAll(async () => {
    const logger = createLogger('teacher-test', 'silent');
    await initTensorflow({ prefer: 'wasm', logger });
    db = await createTestDatabase('teacher');
    const factory = new TeacherFactory(db.dataSource);
    partitions = new PartitionRepository(db.dataSource);
    const models = new TeacherModelRepository(db.dataSource);
    repository = new CapcHeadRepository(db.dataSource);
    heads = new CapcHeadsService(repository);
    cache = new TeacherModelCache(models, partitions);
    runner = new TrainingRunner(partitions, models, cache, logger, heads);
    training = new TrainingService(partitions, models, runner);
    discard = new DiscardService(new DiscardRepository(db.dataSource), runner, cache, logger, heads);

    // Two MNIST partitions of 240 training images (named so that p-001 sorts after p-000), created out of order.
    const train = await loadMnist({ split: 'train', offset: 0, count: 480 });
    for (const [i, name] of [
      [1, 'p-001'],
      [0, 'p-000'],
    ] as const) {
      const p = await factory.newPartition({ datasetName: dataset, name, recordSchema: MNIST_SCHEMA as never });
      async function* records() {
        for (let r = i * 240; r < (i + 1) * 240; r++) {
          yield { features: train.features.slice(r * 784, (r + 1) * 784), label: train.labels[r]! };
        }
      }
      await partitions.appendRecords({ partitionId: p.id }, records());
    }
    // A small tabular partition (2 features, 3 classes): the class is the quadrant-ish sign pattern.
    const clinic = await factory.newPartition({ datasetName: tabular, name: 'ward-1' });
    async function* rows() {
      for (let r = 0; r < 90; r++) {
        const age = (r % 30) / 3 - 5;
        const pressure = Math.floor(r / 30) * 3 - 3;
        yield { features: Float32Array.of(age, pressure), label: Math.floor(r / 30) };
      }
    }
    await partitions.appendRecords({ partitionId: clinic.id }, rows());
  });

  afterAll(async () => {
    await runner?.beforeApplicationShutdown();
    cache?.onModuleDestroy();
    await db?.cleanup();
  });

  it('has no heads before training', async () => {
    expect(await heads.headsFor(dataset)).toEqual([]);
    expect(await heads.headsFor('unknown')).toEqual([]);
  });

  it('fits a linear and a square-MLP head per partition when the teachers are trained', async () => {
    await training.start(dataset, { architecture: 'mlp', epochs: 1, seed: 3 });
    await training.start(tabular, { epochs: 1 });
    await runner.whenIdle();
    const found = await heads.headsFor(dataset);
    expect(found.map((h) => [h.partitionName, h.partitionIndex, h.kind])).toEqual([
      ['p-000', 0, 'linear'],
      ['p-000', 0, 'square-mlp'],
      ['p-001', 1, 'linear'],
      ['p-001', 1, 'square-mlp'],
    ]);
    const test = await loadMnist({ split: 'test', offset: 0, count: 1_000 });
    const extractor = publicFeatureExtractorById('mnist-area8-v1');
    const queries = extractor.extract(
      Array.from({ length: test.count }, (_, i) => test.features.subarray(i * 784, (i + 1) * 784)),
    );
    for (const head of found) {
      expect(head).toMatchObject({ extractorId: 'mnist-area8-v1', classes: 10, dimension: 64 });
      expect(head.contentHash).toMatch(/^[0-9a-f]{64}$/);
      if (head.kind === 'linear') {
        expect(head.weights).toHaveLength(640);
        expect(head.bias).toHaveLength(10);
        const model: LinearHead = { ...head, kind: 'linear' };
        expect(capcHeadContentHash(model)).toBe(head.contentHash);
        expect(capcHeadAccuracy(model, queries, test.labels)).toBeGreaterThan(0.7);
      } else {
        expect(head.layers).toMatchObject({
          inputs: 64,
          hidden: { rows: 32, cols: 64 },
          output: { rows: 10, cols: 32 },
        });
        expect(head.weights).toBe(head.layers.output.weights);
        const model = {
          ...head.layers,
          kind: 'square-mlp' as const,
          extractorId: head.extractorId,
          classes: 10,
          dimension: 64,
        };
        expect(capcHeadContentHash(model)).toBe(head.contentHash);
        expect(capcHeadAccuracy(model, queries, test.labels)).toBeGreaterThan(0.7);
      }
    }
    const clinic = await heads.headsFor(tabular);
    expect(clinic.map((h) => [h.kind, h.extractorId, h.dimension, h.classes])).toEqual([
      ['linear', 'tabular-clip8-v1/2', 2, 3],
      ['square-mlp', 'tabular-clip8-v1/2', 2, 3],
    ]);
  });

  it('replaces a partition’s heads when it is retrained (same records and seed: same content hash)', async () => {
    const before = await heads.headsFor(dataset);
    await training.start(dataset, { architecture: 'mlp', epochs: 1, seed: 3, partitions: ['p-001'] });
    await runner.whenIdle();
    const after = await heads.headsFor(dataset);
    expect(after).toHaveLength(4);
    expect(after.map((h) => h.contentHash)).toEqual(before.map((h) => h.contentHash));
    const rows = await db.dataSource.query('SELECT count(*)::int AS n FROM capc_head');
    expect(rows[0].n).toBe(6);
  });

  it('refuses stored parameters that no longer match their content hash', async () => {
    await db.dataSource.query(
      "UPDATE capc_head SET parameters = set_byte(parameters, 0, get_byte(parameters, 0) # 1) WHERE kind = 'linear' AND extractor_id = 'tabular-clip8-v1/2'",
    );
    expect((await domainErrorOf(heads.headsFor(tabular))).code).toBe('INTERNAL');
  });

  it('deletes the heads with the models on discard, and stores none for a discarded partition', async () => {
    const [first] = await partitions.list({ datasetName: dataset });
    const record = await discard.discard(dataset, { reason: 'student accepted' }, OWNER);
    expect(record.modelsDeleted).toBe(2);
    expect(await heads.headsFor(dataset)).toEqual([]);
    const rows = await db.dataSource.query(
      'SELECT count(*)::int AS n FROM capc_head h JOIN partition p ON p.id = h.partition_id WHERE p.dataset_name = $1',
      [dataset],
    );
    expect(rows[0].n).toBe(0);
    const data = await loadMnist({ split: 'train', offset: 0, count: 20 });
    expect((await domainErrorOf(heads.fitPartition({ partitionId: first!.id }, data, MNIST_SCHEMA))).code).toBe(
      'TEACHER_DISCARDED',
    );
    // The other dataset keeps its heads; a repeated discard is harmless.
    expect(await repository.listForDataset({ datasetName: tabular })).toHaveLength(2);
    await discard.discard(dataset, {}, OWNER);
    expect(await heads.headsFor(dataset)).toEqual([]);
  });
});
