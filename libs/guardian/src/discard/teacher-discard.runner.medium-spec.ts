import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, type DomainError } from '@conclave/common';
import {
  AuditRepository,
  ConsortiumRepository,
  CoordinatorFactory,
  createTestDatabase,
  TeacherDiscardRepository,
  type TestDatabase,
} from '@conclave/db';
import { TeacherDiscardRunner } from './teacher-discard.runner.js';

interface Call {
  path: string;
  authorization: string | undefined;
  body: { reason?: string };
}

/**
 * A stand-in teacher service: `respond` decides each answer (status and body). By default it discards once (two
 * models) and answers later calls with that first record, `repeated`, as apps/teacher does.
 */
async function fakeTeacher(
  respond?: (call: Call, n: number) => { status: number; body: unknown },
): Promise<{ url: string; calls: Call[]; close: () => Promise<void> }> {
  const calls: Call[] = [];
  const first = { id: 'discard-1', dataset: 'mnist', modelsDeleted: 2, deletedModelHashes: ['h1', 'h2'] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const call = { path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(text || '{}') };
      calls.push(call);
      const answer = respond?.(call, calls.length) ?? {
        status: 201,
        body: { ...first, createdAt: new Date().toISOString(), repeated: calls.length > 1 },
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const error = (status: number, code: string) => ({
  status,
  body: { error: { code, message: code, correlationId: 'x' } },
});

describe(`TeacherDiscardRunner (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  const logger = createLogger('test', 'silent');
  const admin = '00000000-0000-4000-8000-0000000000ad';
  let db: TestDatabase;
  let factory: CoordinatorFactory;
  let consortia: ConsortiumRepository;
  let discards: TeacherDiscardRepository;
  let audit: AuditRepository;
  const servers: Array<{ close: () => Promise<void> }> = [];

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    factory = new CoordinatorFactory(db.dataSource);
    consortia = new ConsortiumRepository(db.dataSource);
    discards = new TeacherDiscardRepository(db.dataSource);
    audit = new AuditRepository(db.dataSource);
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await db?.cleanup();
  });

  async function consortiumWith(teachers: Array<{ url: string; key: string }>) {
    const dataset = await factory.newDataset({ name: `mnist-${teachers.length}-${Date.now()}` });
    for (const [i, teacher] of teachers.entries()) {
      await consortia.createParty({
        consortiumId: dataset.consortiumId,
        name: `owner-${i}`,
        kind: 'data-owner',
        teacherServiceUrl: teacher.url,
        guardianApiKey: teacher.key,
      });
    }
    await discards.request({ consortiumDatasetId: dataset.id, studentModelId: null, requestedByKeyId: admin });
    return dataset;
  }

  const runner = (maxAttempts = 3) =>
    new TeacherDiscardRunner(consortia, discards, audit, logger, { retries: 0, backoffMs: 1, maxAttempts });

  it('has every teacher service discard, audits each confirmation and marks the dataset; a rerun changes nothing', async () => {
    const a = await fakeTeacher();
    const b = await fakeTeacher();
    servers.push(a, b);
    const dataset = await consortiumWith([
      { url: a.url, key: 'ck_a_secret' },
      { url: b.url, key: 'ck_b_secret' },
    ]);
    const task = { datasetId: dataset.id, studentId: null, requestedByKeyId: admin, reason: 'student s v1 accepted' };
    const result = await runner().run(task);
    expect(result.confirmed.sort()).toEqual(['owner-0', 'owner-1']);
    expect(result.datasetDiscardedAt).toBeInstanceOf(Date);
    expect(a.calls[0]).toMatchObject({
      path: `/v1/datasets/${encodeURIComponent(dataset.name)}/discard`,
      authorization: 'Bearer ck_a_secret',
      body: { reason: 'student s v1 accepted' },
    });
    const rows = await discards.listForDataset(dataset.id);
    expect(rows.map((r) => [r.status, r.modelsDeleted, r.teacherDiscardId])).toEqual([
      ['done', 2, 'discard-1'],
      ['done', 2, 'discard-1'],
    ]);
    const events = await audit.list({ datasetId: dataset.id, limit: 10 });
    expect(events.map((e) => e.action).sort()).toEqual([
      'dataset.teachers-discarded',
      'teacher.discarded',
      'teacher.discarded',
    ]);
    const discarded = events.find((e) => e.action === 'teacher.discarded')!;
    expect(discarded).toMatchObject({ actorKeyId: admin, actorRole: 'admin', targetType: 'party' });
    expect(discarded.details).toMatchObject({
      datasetId: dataset.id,
      modelsDeleted: 2,
      deletedModelHashes: ['h1', 'h2'],
      performedBy: 'guardian',
    });
    expect(JSON.stringify(events)).not.toContain('ck_a_secret');

    const again = await runner().run(task);
    expect(again).toEqual({ confirmed: [], failed: [], datasetDiscardedAt: null });
    expect(a.calls).toHaveLength(1);
  });

  it('retries a teacher service that is down, counts it confirmed when it answers, and takes a holder of no partition as done', async () => {
    const flaky = await fakeTeacher((_call, n) =>
      n === 1
        ? error(503, 'UPSTREAM_UNAVAILABLE')
        : { status: 201, body: { id: 'd', modelsDeleted: 1, deletedModelHashes: ['h'], createdAt: 'now' } },
    );
    const empty = await fakeTeacher(() => error(404, 'NOT_FOUND'));
    servers.push(flaky, empty);
    const dataset = await consortiumWith([
      { url: flaky.url, key: 'k1' },
      { url: empty.url, key: 'k2' },
    ]);
    const task = { datasetId: dataset.id, studentId: null, requestedByKeyId: admin, reason: 'r' };
    const failure = (await runner()
      .run(task)
      .catch((e: unknown) => e)) as DomainError;
    expect(failure.code).toBe('UPSTREAM_UNAVAILABLE'); // the queue runs the task again
    let rows = await discards.listForDataset(dataset.id);
    expect(rows.map((r) => [r.party, r.status, r.attempts])).toEqual([
      ['owner-0', 'pending', 1],
      ['owner-1', 'done', 0],
    ]);
    expect(rows[1]!.modelsDeleted).toBe(0);

    const result = await runner().run(task);
    expect(result.confirmed).toEqual(['owner-0']);
    expect(result.datasetDiscardedAt).toBeInstanceOf(Date);
    rows = await discards.listForDataset(dataset.id);
    expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('gives up at once on a refused key, and after the last attempt on a service that stays down', async () => {
    const refusing = await fakeTeacher(() => error(403, 'FORBIDDEN'));
    const down = await fakeTeacher(() => error(503, 'UPSTREAM_UNAVAILABLE'));
    servers.push(refusing, down);
    const dataset = await consortiumWith([
      { url: refusing.url, key: 'wrong' },
      { url: down.url, key: 'k' },
    ]);
    const task = { datasetId: dataset.id, studentId: null, requestedByKeyId: admin, reason: 'r' };
    await expect(runner(2).run(task)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    let rows = await discards.listForDataset(dataset.id);
    expect(rows.map((r) => [r.status, r.errorCode])).toEqual([
      ['failed', 'FORBIDDEN'],
      ['pending', 'UPSTREAM_ERROR'],
    ]);
    const result = await runner(2).run(task); // the last attempt: no more retries
    expect(result.failed).toEqual([{ party: 'owner-1', code: 'UPSTREAM_ERROR', final: true }]);
    rows = await discards.listForDataset(dataset.id);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(result.datasetDiscardedAt).toBeNull();
    const failed = await audit.list({ datasetId: dataset.id, action: 'teacher.discard-failed', limit: 10 });
    expect(failed).toHaveLength(2);
  });
});
