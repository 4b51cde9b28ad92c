import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@conclave/common';
import { decodePackedVoteRequest, type VoteResponse } from '@conclave/contracts';
import {
  ConsortiumRepository,
  CoordinatorFactory,
  createTestDatabase,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  UnlabeledDatasetRepository,
  type TestDatabase,
} from '@conclave/db';
import { RdpAccountant, SeededRng } from '@conclave/dp';
import { PrivacyBudgetService } from '../budgets/privacy-budget.service.js';
import { LabelingRunner } from './labeling-runner.js';
import { VoteCollector } from './vote-collector.js';

/**
 * A stand-in teacher service over real HTTP: each of its `teachers` votes for the class written in the
 * record's first feature, except `dissenters` who vote (class + 1) mod 3.
 */
async function fakeTeacherService(
  teachers: number,
  dissenters = 0,
): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls += 1;
      const packed = decodePackedVoteRequest(Buffer.concat(chunks));
      if (typeof packed === 'string' || req.url !== '/v1/votes/packed') {
        res.writeHead(400).end();
        return;
      }
      const { header, features } = packed;
      const values = new Float32Array(new Uint8Array(features).buffer);
      const response: VoteResponse = {
        service: 'fake',
        dataset: header.dataset,
        teachers,
        votes: header.queryIds.map((queryId, q) => {
          const cls = values[q * header.valuesPerQuery]!;
          return {
            queryId,
            classes: Array.from({ length: teachers }, (_, t) => (t < dissenters ? (cls + 1) % 3 : cls)),
          };
        }),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe(`LabelingRunner (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  const logger = createLogger('test', 'silent');
  let db: TestDatabase;
  let teachers: Array<Awaited<ReturnType<typeof fakeTeacherService>>>;
  let repos: {
    jobs: LabelingJobRepository;
    unlabeled: UnlabeledDatasetRepository;
    consortia: ConsortiumRepository;
    budgetRows: PrivacyBudgetRepository;
    budgets: PrivacyBudgetService;
  };

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    const budgetRows = new PrivacyBudgetRepository(db.dataSource);
    repos = {
      jobs: new LabelingJobRepository(db.dataSource),
      unlabeled: new UnlabeledDatasetRepository(db.dataSource),
      consortia: new ConsortiumRepository(db.dataSource),
      budgetRows,
      budgets: new PrivacyBudgetService(budgetRows),
    };
    teachers = [await fakeTeacherService(30, 2), await fakeTeacherService(20, 1)];
  });
  afterAll(async () => {
    for (const t of teachers ?? []) await t.close();
    await db?.cleanup();
  });

  /** A consortium with the given teacher services, N unlabeled records whose class is i mod 3, a budget and a job. */
  async function setUp(options: {
    records: number;
    epsilon: number;
    mechanism?: 'gnmax' | 'confident-gnmax' | 'interactive-gnmax';
    params?: Record<string, unknown>;
    quorum?: number;
    teacherUrls?: string[];
    baselines?: number[][];
  }) {
    const factory = new CoordinatorFactory(db.dataSource);
    const dataset = await factory.newDataset({ numClasses: 3 });
    const querying = await factory.newParty(dataset.consortiumId, 'querying-party');
    for (const [i, url] of (options.teacherUrls ?? teachers.map((t) => t.url)).entries()) {
      await repos.consortia.createParty({
        consortiumId: dataset.consortiumId,
        name: `owner-${i}`,
        kind: 'data-owner',
        teacherServiceUrl: url,
      });
    }
    const unlabeled = await repos.unlabeled.createWithRecords(
      { ownerPartyId: querying.id, name: 'u', format: 'csv', recordSchema: {}, contentHash: () => '0'.repeat(64) },
      (async function* () {
        for (let i = 0; i < options.records; i += 1) yield Float32Array.of(i % 3, 0.5);
      })(),
    );
    const budget = await repos.budgets.create({
      consortiumDatasetId: dataset.id,
      name: 'b',
      epsilonLimit: options.epsilon,
      delta: 1e-5,
    });
    const job = await repos.jobs.create({
      unlabeledDatasetId: unlabeled.id,
      budgetId: budget.id,
      requestedByPartyId: querying.id,
      mode: 'pate',
      mechanism: options.mechanism ?? 'gnmax',
      params: options.params ?? { sigma: 5 },
      maxQueries: options.records,
      quorum: options.quorum ?? 1,
      baselines: options.baselines,
    });
    return { job, budget };
  }

  /** How many query rows the job has (they are created as the guardian reads its batches). */
  async function rowsOf(jobId: string): Promise<number> {
    const [row] = await db.dataSource.query(`SELECT count(*)::integer AS n FROM "query" WHERE "job_id" = $1`, [jobId]);
    return (row as { n: number }).n;
  }

  function runner(
    collector = new VoteCollector(logger, { retries: 1, backoffMs: 1, timeoutMs: 2000 }),
    batchSize = 8,
    budgets = repos.budgets,
    batchesInFlight?: number,
  ) {
    return new LabelingRunner(
      repos.jobs,
      repos.consortia,
      repos.budgetRows,
      budgets,
      collector,
      new SeededRng('runner'),
      logger,
      { batchSize, batchesInFlight },
    );
  }

  it('counts and lists a new job’s queries as pending before any of their rows exists', async () => {
    const { job } = await setUp({ records: 20, epsilon: 50 });
    expect(await rowsOf(job.id)).toBe(0);
    expect(await repos.jobs.countByStatus(job.id)).toEqual({
      pending: 20,
      answered: 0,
      'refused-threshold': 0,
      'refused-budget': 0,
      failed: 0,
    });
    const labels = await repos.jobs.labels(job.id, { offset: 5, limit: 10 });
    expect(labels.map((l) => l.ordinal)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(labels.every((l) => l.status === 'pending' && l.label === null && typeof l.recordId === 'string')).toBe(
      true,
    );
  });

  it('answers every query with the teachers’ plurality and charges each exactly once', async () => {
    const { job, budget } = await setUp({ records: 20, epsilon: 50 });
    expect(await runner().run(job.id)).toBe('completed');
    const labels = await repos.jobs.labels(job.id, { offset: 0, limit: 100 });
    expect(labels.every((l) => l.status === 'answered')).toBe(true);
    expect(labels.filter((l) => l.label === l.ordinal % 3).length).toBeGreaterThanOrEqual(19);
    const ledger = await repos.budgetRows.ledger(budget.id);
    expect(ledger).toHaveLength(20);
    // The charged ε equals libs/dp's recomputation from the stored histograms.
    const histograms = await repos.jobs.histograms(job.id);
    expect(histograms.every((h) => h.voters === 50 && h.counts.reduce((a, b) => a + b, 0) === 50)).toBe(true);
    const accountant = new RdpAccountant();
    for (const h of histograms) accountant.compose({ kind: 'gnmaxDataDependent', sigma: 5, votes: h.counts });
    const status = await repos.budgets.status(budget.id);
    expect(status.epsilonCharged).toBeCloseTo(
      Math.ceil(accountant.getEpsilon(1e-5, 'improved').epsilon * 100) / 100,
      10,
    );
  });

  it('stops when the budget runs out and refuses the remaining queries, never answering them', async () => {
    // 80 records in batches of 8: the budget runs out long before the last batches are read, so queries that have
    // no row yet are refused too.
    const { job, budget } = await setUp({
      records: 80,
      epsilon: 1,
      params: { sigma: 20, accounting: 'dataIndependent' },
    });
    expect(await runner().run(job.id)).toBe('budget-exhausted');
    const labels = await repos.jobs.labels(job.id, { offset: 0, limit: 100 });
    const answered = labels.filter((l) => l.status === 'answered');
    const refused = labels.filter((l) => l.status === 'refused-budget');
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(40);
    expect(answered.length + refused.length).toBe(80);
    expect(refused.every((l) => l.label === null)).toBe(true);
    expect(await rowsOf(job.id)).toBe(80);
    expect(await repos.jobs.countByStatus(job.id)).toMatchObject({ pending: 0, 'refused-budget': refused.length });
    expect((await repos.jobs.findById(job.id))!.queriesRefused).toBe(refused.length);
    expect(await repos.budgetRows.ledger(budget.id)).toHaveLength(answered.length);
    expect((await repos.budgets.status(budget.id)).epsilonCharged).toBeLessThanOrEqual(1);
  });

  it('fails a job whose teachers were discarded: every query, with a row or not, is reported failed', async () => {
    const { job, budget } = await setUp({ records: 10, epsilon: 50 });
    // One query already has its row (a run read it, then died) and the others none.
    expect(await repos.jobs.nextPending(job.id, 1)).toHaveLength(1);
    await db.dataSource.query(
      `UPDATE "consortium_dataset" SET "teachers_discarded_at" = now()
        WHERE "id" = (SELECT "consortium_dataset_id" FROM "privacy_budget" WHERE "id" = $1)`,
      [budget.id],
    );
    expect(await runner().run(job.id)).toBe('failed');
    expect(await repos.jobs.countByStatus(job.id)).toMatchObject({ pending: 0, failed: 10, answered: 0 });
    const labels = await repos.jobs.labels(job.id, { offset: 0, limit: 100 });
    expect(labels.every((l) => l.status === 'failed' && l.label === null)).toBe(true);
    expect((await repos.jobs.findById(job.id))!.queriesRefused).toBe(10);
    expect(await repos.budgetRows.ledger(budget.id)).toHaveLength(0);
  });

  it('charges Confident-GNMax refusals their threshold step only, and releases no label for them', async () => {
    const { job, budget } = await setUp({
      records: 12,
      epsilon: 100,
      mechanism: 'confident-gnmax',
      params: { threshold: 45, sigma1: 2, sigma2: 2 },
    });
    expect(await runner().run(job.id)).toBe('completed');
    const labels = await repos.jobs.labels(job.id, { offset: 0, limit: 100 });
    // 47 of 50 teachers agree: over T = 45 with σ1 = 2, nearly always answered.
    expect(labels.filter((l) => l.status === 'answered').length).toBeGreaterThanOrEqual(10);
    expect(labels.filter((l) => l.status === 'refused-threshold').every((l) => l.label === null)).toBe(true);
    expect(await repos.budgetRows.ledger(budget.id)).toHaveLength(12);
  });

  it('applies Interactive-GNMax’s threshold to the votes minus the student baseline', async () => {
    // 50 teachers, 47 agree. A student that already predicts the majority class (baseline 47 on it) leaves
    // max(votes − baseline) ≈ 3, far below T = 20: refused. A student with no opinion leaves 47: answered.
    const records = 12;
    const agreeing = Array.from({ length: records }, (_, i) => [0, 1, 2].map((c) => (c === i % 3 ? 47 : 0)));
    const silent = Array.from({ length: records }, () => [0, 0, 0]);
    const params = { threshold: 20, sigma1: 2, sigma2: 2 };
    const confident = await setUp({
      records,
      epsilon: 100,
      mechanism: 'interactive-gnmax',
      params,
      baselines: agreeing,
    });
    const naive = await setUp({ records, epsilon: 100, mechanism: 'interactive-gnmax', params, baselines: silent });
    expect(await runner().run(confident.job.id)).toBe('completed');
    expect(await runner().run(naive.job.id)).toBe('completed');
    expect((await repos.jobs.countByStatus(confident.job.id))['refused-threshold']).toBe(records);
    expect((await repos.jobs.countByStatus(naive.job.id)).answered).toBe(records);
    const events = (await repos.budgetRows.ledger(confident.budget.id)).map(
      (e) => e.event as { kind: string; baseline?: number[] },
    );
    expect(events.every((e) => e.kind === 'confidentGnmax' && Array.isArray(e.baseline))).toBe(true);
    // Each query got its own record's baseline (stored on the job, by ordinal): the class its votes favour.
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    const charged = (await repos.budgetRows.ledger(confident.budget.id)).map(
      (e) => e.event as { votes: number[]; baseline: number[] },
    );
    expect(charged.every((e) => argmax(e.baseline) === argmax(e.votes))).toBe(true);
  });

  it('resumes after a crash without answering or charging any query twice', async () => {
    const { job, budget } = await setUp({ records: 24, epsilon: 50 });
    const real = new VoteCollector(logger, { retries: 1, backoffMs: 1 });
    let batches = 0;
    const crashing = Object.create(real) as VoteCollector;
    crashing.collect = async (...args) => {
      batches += 1;
      if (batches === 3) throw new Error('worker killed');
      return real.collect(...args);
    };
    await expect(runner(crashing, 8).run(job.id)).rejects.toThrow('worker killed');
    const midway = await repos.jobs.countByStatus(job.id);
    expect(midway.answered).toBe(16);
    expect(midway.pending).toBe(8);
    // The batch read before the crash has its rows, still pending; the resumed run answers those same rows.
    const readBefore: Array<{ id: string }> = await db.dataSource.query(
      `SELECT "id" FROM "query" WHERE "job_id" = $1 AND "status" = 'pending'`,
      [job.id],
    );
    expect(readBefore).toHaveLength(8);
    expect(await runner(real, 8).run(job.id)).toBe('completed');
    expect((await repos.jobs.countByStatus(job.id)).answered).toBe(24);
    expect(await rowsOf(job.id)).toBe(24);
    const ledger = await repos.budgetRows.ledger(budget.id);
    expect(ledger).toHaveLength(24);
    expect(new Set(ledger.map((e) => e.queryId)).size).toBe(24);
    const charged = new Set(ledger.map((e) => e.queryId));
    expect(readBefore.every((row) => charged.has(row.id))).toBe(true);
  });

  it.each([
    // One batch in flight: batch 2's votes are asked for before batch 1 is charged, batch 3's once batch 2's are in.
    [1, ['collect 1', 'collect 2', 'charge', 'charged 8', 'collect 3']],
    // Two: batches 1 and 2 at once, batch 3 as soon as batch 1's votes are in, batch 4 once batch 2's are.
    [2, ['collect 1', 'collect 2', 'collect 3', 'charge', 'charged 8', 'collect 4']],
  ])(
    'with %i batch(es) in flight, collects votes ahead while charging, and a cancel meanwhile stops before the next charge',
    async (batchesInFlight, expected) => {
      const { job, budget } = await setUp({ records: 40, epsilon: 50 });
      const real = new VoteCollector(logger, { retries: 1, backoffMs: 1 });
      const events: string[] = [];
      let running = 0;
      const collector = Object.create(real) as VoteCollector;
      collector.collect = async (endpoints, request, shape, options) => {
        events.push(`collect ${events.filter((e) => e.startsWith('collect')).length + 1}`);
        running += 1;
        try {
          return await real.collect(endpoints, request, shape, options);
        } finally {
          running -= 1;
        }
      };
      const budgets = Object.create(repos.budgets) as PrivacyBudgetService;
      budgets.chargeAndReleaseBatch = async (request) => {
        events.push('charge');
        const outcome = await repos.budgets.chargeAndReleaseBatch(request);
        events.push(`charged ${outcome.charged.length}`);
        // Cancelled while the first batch is charged (and the next batches' votes are being collected).
        await repos.jobs.transition(job.id, ['running'], 'cancelled');
        return outcome;
      };
      expect(await runner(collector, 8, budgets, batchesInFlight).run(job.id)).toBe('cancelled');
      // After the cancel nothing more was charged: the votes collected ahead were given up on, and none of their
      // collection runs once the run has returned.
      expect(events).toEqual(expected);
      expect(running).toBe(0);
      expect((await repos.jobs.countByStatus(job.id)).answered).toBe(8);
      expect(await repos.budgetRows.ledger(budget.id)).toHaveLength(8);
    },
  );

  it('pauses on a batch below quorum after charging the batches before it, and resumes from there', async () => {
    const { job, budget } = await setUp({ records: 24, epsilon: 50, quorum: 40 });
    const real = new VoteCollector(logger, { retries: 1, backoffMs: 1 });
    let calls = 0;
    const flaky = Object.create(real) as VoteCollector;
    flaky.collect = async (endpoints, ...rest) => {
      calls += 1;
      // The second batch reaches only the 30-teacher service: below the quorum of 40.
      return real.collect(calls === 2 ? endpoints.slice(0, 1) : endpoints, ...rest);
    };
    await expect(runner(flaky, 8).run(job.id)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((await repos.jobs.findById(job.id))!.status).toBe('paused');
    expect((await repos.jobs.countByStatus(job.id)).answered).toBe(8);
    expect(await repos.budgetRows.ledger(budget.id)).toHaveLength(8);
    expect(await runner().run(job.id)).toBe('completed');
    expect((await repos.jobs.histograms(job.id)).every((h) => h.voters === 50)).toBe(true);
    expect(new Set((await repos.budgetRows.ledger(budget.id)).map((e) => e.queryId)).size).toBe(24);
  });

  it('uses only the teachers that voted when a service is down, and pauses below quorum', async () => {
    const down = 'http://127.0.0.1:1';
    const partial = await setUp({ records: 6, epsilon: 50, teacherUrls: [teachers[0]!.url, down] });
    expect(await runner().run(partial.job.id)).toBe('completed');
    expect((await repos.jobs.histograms(partial.job.id)).every((h) => h.voters === 30)).toBe(true);

    const strict = await setUp({ records: 6, epsilon: 50, quorum: 40, teacherUrls: [teachers[0]!.url, down] });
    await expect(runner().run(strict.job.id)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((await repos.jobs.findById(strict.job.id))!.status).toBe('paused');
    expect(await repos.budgetRows.ledger(strict.budget.id)).toHaveLength(0);
  });

  it('stops a cancelled job', async () => {
    const { job } = await setUp({ records: 6, epsilon: 50 });
    await repos.jobs.transition(job.id, ['queued'], 'cancelled');
    expect(await runner().run(job.id)).toBe('cancelled');
    expect((await repos.jobs.countByStatus(job.id)).answered).toBe(0);
  });
});
