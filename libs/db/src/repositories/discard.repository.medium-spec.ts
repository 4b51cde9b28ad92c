import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TeacherModelEntity } from '../entities/teacher/teacher-model.entity.js';
import { TeacherFactory } from '../testing/teacher.factory.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { DiscardRepository } from './discard.repository.js';

describe(`teacher-side discard (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let factory: TeacherFactory;
  let discards: DiscardRepository;

  beforeAll(async () => {
    db = await createTestDatabase('teacher');
    factory = new TeacherFactory(db.dataSource);
    discards = new DiscardRepository(db.dataSource);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('answers a repeated discard with the record of the first one, writing nothing', async () => {
    const datasetName = factory.unique('dataset');
    const partition = await factory.newPartition({ datasetName });
    await db.dataSource.getRepository(TeacherModelEntity).save({
      partitionId: partition.id,
      architecture: 'mlp',
      hyperparameters: {},
      status: 'ready',
      weights: Buffer.from([1, 2, 3]),
      topology: {},
      contentHash: 'c'.repeat(64),
      metrics: null,
      discardedAt: null,
    });
    const guardian = { keyId: '00000000-0000-4000-8000-000000000002', role: 'guardian' };
    const first = await discards.discardDataset(
      { datasetName },
      { deleteData: false, reason: 'student v1 accepted', requestedBy: guardian },
    );
    expect(first).toMatchObject({ modelsDeleted: 1, deletedModelHashes: ['c'.repeat(64)], repeated: false });
    const again = await discards.discardDataset(
      { datasetName },
      { deleteData: false, reason: 'retry', requestedBy: guardian },
    );
    expect(again).toMatchObject({
      id: first!.id,
      modelsDeleted: 1,
      deletedModelHashes: ['c'.repeat(64)],
      repeated: true,
    });
    expect(await discards.list({ datasetName })).toHaveLength(1);
    // Deleting the data is new work: it is done and recorded.
    const withData = await discards.discardDataset(
      { datasetName },
      { deleteData: true, reason: null, requestedBy: guardian },
    );
    expect(withData).toMatchObject({ modelsDeleted: 0, dataDeleted: true, repeated: false });
    expect(
      await discards.discardDataset({ datasetName: 'unknown' }, { deleteData: false, reason: null, requestedBy: null }),
    ).toBeNull();
  });
});
