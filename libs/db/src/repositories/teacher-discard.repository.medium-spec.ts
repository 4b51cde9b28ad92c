import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConsortiumDatasetEntity } from '../entities/coordinator/consortium-dataset.entity.js';
import { CoordinatorFactory } from '../testing/coordinator.factory.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { AuditRepository } from './audit.repository.js';
import { ConsortiumRepository } from './consortium.repository.js';
import { overallDiscardStatus, TeacherDiscardRepository } from './teacher-discard.repository.js';

describe(`teacher discard instructions (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let factory: CoordinatorFactory;
  let discards: TeacherDiscardRepository;
  let consortia: ConsortiumRepository;
  let audit: AuditRepository;

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    factory = new CoordinatorFactory(db.dataSource);
    discards = new TeacherDiscardRepository(db.dataSource);
    consortia = new ConsortiumRepository(db.dataSource);
    audit = new AuditRepository(db.dataSource);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  async function datasetWithOwners(owners: number) {
    const dataset = await factory.newDataset();
    for (let i = 0; i < owners; i += 1) {
      await consortia.createParty({
        consortiumId: dataset.consortiumId,
        name: `owner-${i}`,
        kind: 'data-owner',
        teacherServiceUrl: `http://127.0.0.1:${3100 + i}`,
      });
    }
    await factory.newParty(dataset.consortiumId, 'querying-party'); // no teacher service: no discard row
    return dataset;
  }

  const discardedAt = async (id: string) =>
    (await db.dataSource.getRepository(ConsortiumDatasetEntity).findOneBy({ id }))!.teachersDiscardedAt;

  it('opens one pending row per teacher service; the dataset is marked discarded once all confirmed', async () => {
    const dataset = await datasetWithOwners(3);
    const rows = await discards.request({
      consortiumDatasetId: dataset.id,
      studentModelId: null,
      requestedByKeyId: null,
    });
    expect(rows.map((r) => [r.party, r.status])).toEqual([
      ['owner-0', 'pending'],
      ['owner-1', 'pending'],
      ['owner-2', 'pending'],
    ]);
    expect(overallDiscardStatus(rows, null)).toBe('pending');
    expect(
      await discards.markDone(rows[0]!.id, {
        modelsDeleted: 2,
        deletedModelHashes: ['h1', 'h2'],
        teacherDiscardId: 'd1',
      }),
    ).toBe(true);
    expect(
      await discards.markDone(rows[0]!.id, { modelsDeleted: 0, deletedModelHashes: [], teacherDiscardId: null }),
    ).toBe(false);
    expect(await discards.recordFailure(rows[1]!.id, 'UPSTREAM_UNAVAILABLE', false)).toBe(1);
    expect(await discards.markDatasetDiscardedIfComplete(dataset.id)).toBeNull();
    expect(
      await discards.markDone(rows[1]!.id, { modelsDeleted: 1, deletedModelHashes: ['h3'], teacherDiscardId: 'd2' }),
    ).toBe(true);
    expect(
      await discards.markDone(rows[2]!.id, { modelsDeleted: 0, deletedModelHashes: [], teacherDiscardId: 'd3' }),
    ).toBe(true);
    // Every owner confirmed, but the dataset is not marked yet: still pending for readers.
    expect(overallDiscardStatus(await discards.listForDataset(dataset.id), null)).toBe('pending');
    const marked = await discards.markDatasetDiscardedIfComplete(dataset.id);
    expect(marked).toBeInstanceOf(Date);
    expect(await discardedAt(dataset.id)).toEqual(marked);
    expect(await discards.markDatasetDiscardedIfComplete(dataset.id)).toBeNull(); // already marked

    const after = await discards.listForDataset(dataset.id);
    expect(overallDiscardStatus(after, marked)).toBe('done');
    expect(after[0]).toMatchObject({ modelsDeleted: 2, deletedModelHashes: ['h1', 'h2'], teacherDiscardId: 'd1' });
    expect(after[1]).toMatchObject({ attempts: 1, errorCode: null, status: 'done' });
  });

  it('a repeated request leaves confirmed rows alone and re-opens failed ones', async () => {
    const dataset = await datasetWithOwners(2);
    const key = '00000000-0000-4000-8000-0000000000aa';
    const rows = await discards.request({
      consortiumDatasetId: dataset.id,
      studentModelId: null,
      requestedByKeyId: key,
    });
    await discards.markDone(rows[0]!.id, { modelsDeleted: 1, deletedModelHashes: ['h'], teacherDiscardId: 'd' });
    await discards.recordFailure(rows[1]!.id, 'FORBIDDEN', true);
    const failed = await discards.listForDataset(dataset.id);
    expect(failed.map((r) => r.status)).toEqual(['done', 'failed']);
    expect(overallDiscardStatus(failed, null)).toBe('failed');
    expect(await discards.recordFailure(rows[1]!.id, 'FORBIDDEN', true)).toBe(0); // not pending: untouched

    const again = await discards.request({
      consortiumDatasetId: dataset.id,
      studentModelId: null,
      requestedByKeyId: key,
    });
    expect(again.map((r) => [r.status, r.attempts, r.errorCode])).toEqual([
      ['done', 0, null],
      ['pending', 0, null],
    ]);
    expect(again[0]!.modelsDeleted).toBe(1);
  });

  it('a consortium without teacher services has nothing to discard', async () => {
    const dataset = await datasetWithOwners(0);
    expect(
      await discards.request({ consortiumDatasetId: dataset.id, studentModelId: null, requestedByKeyId: null }),
    ).toEqual([]);
    const marked = await discards.markDatasetDiscardedIfComplete(dataset.id);
    expect(marked).toBeInstanceOf(Date);
    expect(overallDiscardStatus([], marked)).toBe('done');
  });

  it('lists the audit events about a dataset: its own and those naming it', async () => {
    const dataset = await factory.newDataset();
    const other = await factory.newDataset();
    await audit.append({
      actor: null,
      action: 'dataset.created',
      targetType: 'consortium-dataset',
      targetId: dataset.id,
    });
    await audit.append({
      actor: null,
      action: 'teacher.discarded',
      targetType: 'party',
      targetId: 'p',
      details: { datasetId: dataset.id },
    });
    await audit.append({
      actor: null,
      action: 'teacher.discarded',
      targetType: 'party',
      targetId: 'q',
      details: { datasetId: other.id },
    });
    const events = await audit.list({ datasetId: dataset.id, limit: 10 });
    expect(events.map((e) => e.action)).toEqual(['teacher.discarded', 'dataset.created']);
    expect((await audit.list({ datasetId: dataset.id, action: 'teacher.discarded', limit: 10 })).length).toBe(1);
    expect(
      (await audit.list({ datasetId: dataset.id, beforeId: events[0]!.id, limit: 10 })).map((e) => e.action),
    ).toEqual(['dataset.created']);
    expect((await audit.list({ limit: 2 })).length).toBe(2);
  });
});
