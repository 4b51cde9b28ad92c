import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoordinatorFactory,
  createTestDatabase,
  openDatabase,
  PrivacyBudgetRepository,
  type TestDatabase,
} from '@conclave/db';
import { RdpAccountant, dataIndependentEvent, epsilonFromRdp, roundEpsilonUp, type DpEvent } from '@conclave/dp';
import { PrivacyBudgetService } from './privacy-budget.service.js';

const gaussian = (sigma: number): DpEvent => ({ kind: 'gaussian', sigma });

describe(`PrivacyBudgetService (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let service: PrivacyBudgetService;
  let factory: CoordinatorFactory;

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    service = new PrivacyBudgetService(new PrivacyBudgetRepository(db.dataSource));
    factory = new CoordinatorFactory(db.dataSource);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  async function newBudget(epsilonLimit: number, conversion: 'basic' | 'improved' = 'improved') {
    const dataset = await factory.newDataset();
    return service.create({ consortiumDatasetId: dataset.id, name: 'b', epsilonLimit, delta: 1e-5, conversion });
  }

  /** How many σ=`sigma` Gaussian releases fit under `limit`, by the library alone. */
  function capacity(sigma: number, limit: number, conversion: 'basic' | 'improved'): number {
    const accountant = new RdpAccountant();
    let n = 0;
    for (;;) {
      accountant.compose(gaussian(sigma));
      if (epsilonFromRdp(accountant.orders, accountant.rdp(), 1e-5, conversion).value > limit) return n;
      n += 1;
    }
  }

  it('charges until the next release would exceed the budget, then refuses without releasing', async () => {
    const budget = await newBudget(1.0);
    const expected = capacity(20, 1.0, 'improved');
    expect(expected).toBeGreaterThan(3);
    const released: number[] = [];
    const refused: number[] = [];
    for (let i = 0; i < expected + 3; i += 1) {
      const outcome = await service.chargeAndRelease({
        budgetId: budget.id,
        jobId: null,
        queryId: null,
        event: gaussian(20),
        release: async () => released.push(i),
        onRefused: async () => {
          refused.push(i);
        },
      });
      expect(outcome.status).toBe(i < expected ? 'charged' : 'refused-budget');
    }
    expect(released).toHaveLength(expected);
    expect(refused).toEqual([expected, expected + 1, expected + 2]);
    const status = await service.status(budget.id);
    expect(status.ledgerEntries).toBe(expected);
    expect(status.epsilonCharged).toBeLessThanOrEqual(1.0 + 0.01);
    expect(status.epsilonDataIndependent).toBe(status.epsilonCharged); // Gaussian releases: no data-dependence
    expect(status.conversion).toBe('improved');
  });

  it('reads a non-finite running RDP back as Infinity (JSON has none), so the budget refuses rather than resets', async () => {
    const budget = await newBudget(5);
    const rows = new PrivacyBudgetRepository(db.dataSource);
    await rows.transaction(async (tx) => {
      const locked = (await rows.lockForCharge(tx, budget.id))!;
      const infinite = locked.orders.map(() => Infinity);
      await rows.appendCharges(tx, locked, [{ jobId: null, queryId: null, event: { kind: 'gaussian', sigma: 1 } }], {
        rdpSpent: infinite,
        rdpSpentDataIndependent: infinite,
      });
    });
    const stored = (await rows.findById(budget.id))!;
    expect(stored.rdpSpent.every((x) => x === Infinity)).toBe(true);
    expect(stored.rdpSpentDataIndependent.every((x) => x === Infinity)).toBe(true);
    expect((await service.status(budget.id)).epsilonCharged).toBe(Infinity);
    const outcome = await service.chargeAndRelease({
      budgetId: budget.id,
      jobId: null,
      queryId: null,
      event: gaussian(1000),
      release: async () => 'label',
    });
    expect(outcome.status).toBe('refused-budget');
  });

  it('charges a query at most once, so a resumed job cannot pay twice', async () => {
    const budget = await newBudget(5);
    const queryId = '00000000-0000-4000-8000-000000000001';
    const first = await service.chargeAndRelease({
      budgetId: budget.id,
      jobId: null,
      queryId,
      event: gaussian(10),
      release: async () => 'label',
    });
    let releasedAgain = false;
    const second = await service.chargeAndRelease({
      budgetId: budget.id,
      jobId: null,
      queryId,
      event: gaussian(10),
      release: async () => {
        releasedAgain = true;
        return 'again';
      },
    });
    expect(first).toMatchObject({ status: 'charged', sequence: 1, released: 'label' });
    expect(second).toEqual({ status: 'already-charged', sequence: 1 });
    expect(releasedAgain).toBe(false);
    const status = await service.status(budget.id);
    expect(status.ledgerEntries).toBe(1);
    // The ε reported with the charge is the budget's charged ε (shown rounded up).
    expect(roundEpsilonUp((first as { epsilonAfter: number }).epsilonAfter)).toBe(status.epsilonCharged);
  });

  it('charges a batch in one transaction, in order, up to the first query that would exceed the budget', async () => {
    const budget = await newBudget(1.0);
    const oneByOne = await newBudget(1.0);
    const expected = capacity(20, 1.0, 'improved');
    const ids = Array.from(
      { length: expected + 3 },
      (_, i) => `00000000-0000-4000-8000-${String(100 + i).padStart(12, '0')}`,
    );
    const refused: number[] = [];
    const outcome = await service.chargeAndReleaseBatch({
      budgetId: budget.id,
      jobId: null,
      items: ids.map((queryId) => ({ queryId, event: gaussian(20) })),
      release: async (_tx, charged) => charged.length,
      onRefused: async (_tx, index) => {
        refused.push(index);
      },
    });
    expect(outcome).toEqual({
      charged: Array.from({ length: expected }, (_, i) => i),
      alreadyCharged: [],
      sequences: { charged: Array.from({ length: expected }, (_, i) => i + 1), alreadyCharged: [] },
      epsilonAfter: expect.any(Number),
      refused: { index: expected, prospectiveEpsilon: expect.any(Number) },
      released: expected,
    });
    expect(outcome.epsilonAfter).toBeLessThanOrEqual(1.0);
    expect(outcome.refused!.prospectiveEpsilon).toBeGreaterThan(1.0);
    expect(refused).toEqual([expected]);
    const ledger = await new PrivacyBudgetRepository(db.dataSource).ledger(budget.id);
    expect(ledger.map((e) => [e.sequence, e.queryId])).toEqual(ids.slice(0, expected).map((id, i) => [i + 1, id]));

    // The same budget state as charging the queries one transaction at a time.
    for (let i = 0; i < expected; i += 1) {
      await service.chargeAndRelease({
        budgetId: oneByOne.id,
        jobId: null,
        queryId: null,
        event: gaussian(20),
        release: async () => undefined,
      });
    }
    const { id: _a, name: _b, ...batched } = await service.status(budget.id);
    const { id: _c, name: _d, ...sequential } = await service.status(oneByOne.id);
    expect(batched).toEqual(sequential);
    expect(await service.recomputeFromLedger(budget.id)).toEqual(await service.recomputeFromLedger(oneByOne.id));

    // A resumed batch charges and releases nothing twice.
    const again = await service.chargeAndReleaseBatch({
      budgetId: budget.id,
      jobId: null,
      items: ids.slice(0, 2).map((queryId) => ({ queryId, event: gaussian(20) })),
      release: async (_tx, charged) => charged,
    });
    expect(again).toEqual({
      charged: [],
      alreadyCharged: [0, 1],
      sequences: { charged: [], alreadyCharged: [1, 2] },
      epsilonAfter: null,
      refused: null,
      released: [],
    });
    expect((await service.status(budget.id)).ledgerEntries).toBe(expected);
    // The single-query path sees the same charges: a query charged in a batch is not charged again alone.
    const alone = await service.chargeAndRelease({
      budgetId: budget.id,
      jobId: null,
      queryId: ids[1]!,
      event: gaussian(20),
      release: async () => 'never',
    });
    expect(alone).toEqual({ status: 'already-charged', sequence: 2 });
    expect((await service.status(budget.id)).ledgerEntries).toBe(expected);
  });

  it('decides a batch exactly as one query at a time, whether it fits with room to spare or only in part', async () => {
    // Checked against a worse case (σ = 14) than what is charged (σ = 20), as Confident-GNMax checks: the batch's
    // one-conversion shortcut (when even an upper bound of every prospective spend fits) must change nothing.
    const fit = capacity(20, 1.0, 'improved');
    for (const [n, conversion] of [
      [3, 'improved'],
      [fit - 3, 'improved'],
      [fit - 1, 'basic'],
      [fit, 'improved'],
      [fit + 2, 'improved'],
    ] as const) {
      const batched = await newBudget(1.0, conversion);
      const single = await newBudget(1.0, conversion);
      const outcome = await service.chargeAndReleaseBatch({
        budgetId: batched.id,
        jobId: null,
        items: Array.from({ length: n }, () => ({ queryId: null, event: gaussian(20), checkEvent: gaussian(14) })),
        release: async () => undefined,
      });
      let charged = 0;
      let refusedAt: number | null = null;
      for (let i = 0; i < n && refusedAt === null; i += 1) {
        const one = await service.chargeAndRelease({
          budgetId: single.id,
          jobId: null,
          queryId: null,
          event: gaussian(20),
          checkEvent: gaussian(14),
          release: async () => undefined,
        });
        if (one.status === 'charged') charged += 1;
        else refusedAt = i;
      }
      expect({ n, charged: outcome.charged.length, refused: outcome.refused?.index ?? null }).toEqual({
        n,
        charged,
        refused: refusedAt,
      });
      const { id: _a, name: _b, ...a } = await service.status(batched.id);
      const { id: _c, name: _d, ...b } = await service.status(single.id);
      expect(a).toEqual(b);
    }
  });

  it('records nothing of a batch whose release fails', async () => {
    const budget = await newBudget(5);
    await expect(
      service.chargeAndReleaseBatch({
        budgetId: budget.id,
        jobId: null,
        items: [
          { queryId: '00000000-0000-4000-8000-000000000201', event: gaussian(10) },
          { queryId: '00000000-0000-4000-8000-000000000202', event: gaussian(10) },
        ],
        release: async () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect((await service.status(budget.id)).ledgerEntries).toBe(0);
  });

  it('records nothing when the release fails: the charge and the label commit together', async () => {
    const budget = await newBudget(5);
    await expect(
      service.chargeAndRelease({
        budgetId: budget.id,
        jobId: null,
        queryId: null,
        event: gaussian(10),
        release: async () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect((await service.status(budget.id)).ledgerEntries).toBe(0);
  });

  it('checks the worst case but charges what happened', async () => {
    const budget = await newBudget(0.5, 'basic');
    const outcome = await service.chargeAndRelease({
      budgetId: budget.id,
      jobId: null,
      queryId: null,
      event: gaussian(100),
      checkEvent: { kind: 'nonPrivate' },
      release: async () => 'x',
    });
    expect(outcome.status).toBe('refused-budget');
    expect((await service.status(budget.id)).ledgerEntries).toBe(0);
  });

  it('keeps a ledger from which the spent ε is recomputed exactly', async () => {
    const budget = await newBudget(10, 'basic');
    const events: DpEvent[] = [
      gaussian(40),
      { kind: 'gnmaxDataDependent', sigma: 40, votes: [200, 20, 10, 5, 5, 3, 3, 2, 1, 1] },
      {
        kind: 'confidentGnmax',
        sigma1: 150,
        sigma2: 40,
        threshold: 200,
        votes: [230, 10, 5, 5, 0, 0, 0, 0, 0, 0],
        answered: true,
        charging: 'realised',
      },
    ];
    for (const event of events) {
      await service.chargeAndRelease({
        budgetId: budget.id,
        jobId: null,
        queryId: null,
        event,
        release: async () => null,
      });
    }
    const stored = await new PrivacyBudgetRepository(db.dataSource).findById(budget.id);
    const recomputed = await service.recomputeFromLedger(budget.id);
    for (let i = 0; i < recomputed.rdp.length; i += 1) expect(recomputed.rdp[i]).toBeCloseTo(stored!.rdpSpent[i]!, 12);
    const reference = new RdpAccountant();
    for (const event of events) reference.compose(event);
    expect(recomputed.epsilon).toBeCloseTo(reference.getEpsilon(1e-5, 'basic').epsilon, 12);
    // The publishable figure is the data-independent bound, never below what was charged.
    const status = await service.status(budget.id);
    const independent = new RdpAccountant();
    for (const event of events) independent.compose(dataIndependentEvent(event));
    expect(status.epsilonDataIndependent).toBe(roundEpsilonUp(independent.getEpsilon(1e-5, 'basic').epsilon));
    expect(status.epsilonDataIndependent).toBeGreaterThan(status.epsilonCharged);
  });

  it('rejects malformed events without echoing them, and unknown budgets', async () => {
    const budget = await newBudget(1);
    const bad = { kind: 'gnmaxDataDependent', sigma: 40, votes: [12345.5, -1] } as unknown as DpEvent;
    await expect(
      service.chargeAndRelease({
        budgetId: budget.id,
        jobId: null,
        queryId: null,
        event: bad,
        release: async () => null,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: 'Invalid DP event' });
    await expect(
      service.chargeAndRelease({
        budgetId: '00000000-0000-4000-8000-0000000000ff',
        jobId: null,
        queryId: null,
        event: gaussian(1),
        release: async () => null,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serializes concurrent chargers on separate connections: never over budget', async () => {
    const budget = await newBudget(1.0);
    const expected = capacity(20, 1.0, 'improved');
    // A second service instance on its own DataSource, as a second guardian worker would have.
    const other = db.url ? await openDatabase({ schema: 'coordinator', databaseUrl: db.url, poolSize: 4 }) : null;
    const services = [service, other ? new PrivacyBudgetService(new PrivacyBudgetRepository(other)) : service];
    try {
      const outcomes = await Promise.all(
        Array.from({ length: expected + 6 }, (_, i) =>
          services[i % 2]!.chargeAndRelease({
            budgetId: budget.id,
            jobId: null,
            queryId: null,
            event: gaussian(20),
            release: async () => i,
          }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'charged')).toHaveLength(expected);
      expect(outcomes.filter((o) => o.status === 'refused-budget')).toHaveLength(6);
      const ledger = await new PrivacyBudgetRepository(db.dataSource).ledger(budget.id);
      expect(ledger.map((e) => e.sequence)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    } finally {
      await other?.destroy();
    }
  });
});
