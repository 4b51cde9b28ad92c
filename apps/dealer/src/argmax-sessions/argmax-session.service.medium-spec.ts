import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, DomainError, loadConfig, type Principal, domainErrorOf } from '@conclave/common';
import {
  ArgmaxParty,
  decodeCorrelationBatch,
  InMemoryCorrelationLedger,
  PrimeField,
  reconstructVector,
  runArgmaxInMemory,
  SeededRng,
  shareVector,
  type ArgmaxCorrelation,
} from '@conclave/crypto';
import { ArgmaxSessionRepository, createTestDatabase, type TestDatabase } from '@conclave/db';
import { DealerEnv } from '../dealer.env.js';
import { ArgmaxSessionService, type CorrelationBatchStream } from './argmax-session.service.js';
import type { CreateArgmaxSessionDto } from './dto/argmax-session.dto.js';

const T = 1073692673; // the BFV plain modulus of libs/crypto's parameter sets
const ENGINE = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

async function readAll(batch: CorrelationBatchStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of batch.chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

function principal(role: Principal['role'], partyId: string | null): Principal {
  return { keyId: randomUUID(), role, partyId, label: `${role} ${partyId ?? '-'}` };
}

describe(`ArgmaxSessionService (the dealer, ${ENGINE})`, () => {
  let db: TestDatabase;
  let service: ArgmaxSessionService;
  const guardian = principal('guardian', null);

  /** A session request between two fresh parties, with keys acting for each. */
  function newRequest(overrides: Partial<CreateArgmaxSessionDto> = {}) {
    const parties: [string, string] = [randomUUID(), randomUUID()];
    const request = { id: randomUUID(), modulus: T, classes: 4, count: 5, parties, ...overrides };
    return {
      request,
      querier: principal('querying-party', request.parties[0]),
      teacher: principal('teacher', request.parties[1]),
    };
  }

  const seedOf = async (id: string): Promise<{ seed: Buffer | null; seed_erased_at: Date | null }> =>
    (
      (await db.dataSource.query('SELECT "seed", "seed_erased_at" FROM "argmax_session" WHERE "id" = $1', [
        id,
      ])) as Array<{ seed: Buffer | null; seed_erased_at: Date | null }>
    )[0]!;

  beforeAll(async () => {
    db = await createTestDatabase('dealer');
    const config = loadConfig('dealer', DealerEnv, {
      DEALER_MAX_SESSION_COUNT: '1000',
      DEALER_MAX_BATCH_BYTES: String(64 * 1024 * 1024),
    });
    service = new ArgmaxSessionService(
      new ArgmaxSessionRepository(db.dataSource),
      config,
      createLogger('dealer', 'silent'),
    );
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('creates a session with a fresh 32-byte seed, and shows it without the seed', async () => {
    const { request } = newRequest();
    const { created, session } = await service.create(request, guardian);
    expect(created).toBe(true);
    expect(session).toEqual({
      id: request.id,
      count: 5,
      classes: 4,
      modulus: T,
      parties: request.parties,
      createdAt: expect.any(Date),
    });
    const stored = await seedOf(request.id);
    expect(stored.seed).toHaveLength(32);
    expect(stored.seed_erased_at).toBeNull();
    const status = await service.status(request.id);
    expect(status).toEqual({
      id: request.id,
      count: 5,
      classes: 4,
      parties: request.parties,
      consumed: [false, false],
      createdAt: session.createdAt,
    });
    expect(JSON.stringify(status)).not.toContain('seed');
    expect((await domainErrorOf(service.status(randomUUID()))).code).toBe('NOT_FOUND');
  });

  it('answers the same request with the same session (idempotent), also when two arrive at once', async () => {
    const { request } = newRequest();
    const first = await service.create(request, guardian);
    const seed = (await seedOf(request.id)).seed;
    const again = await service.create({ ...request, parties: [...request.parties] }, guardian);
    expect(again).toEqual({ created: false, session: first.session });
    expect((await seedOf(request.id)).seed).toEqual(seed);

    const { request: concurrent } = newRequest();
    const outcomes = await Promise.all([service.create(concurrent, guardian), service.create(concurrent, guardian)]);
    expect(outcomes.map((o) => o.created).sort()).toEqual([false, true]);
    expect(outcomes[0]!.session).toEqual(outcomes[1]!.session);
  });

  it('refuses the same id with any other request (SESSION_CONFLICT) and keeps the first', async () => {
    const { request } = newRequest();
    const { session } = await service.create(request, guardian);
    const variants: Array<Partial<CreateArgmaxSessionDto>> = [
      { modulus: 65537 },
      { classes: 5 },
      { count: 6 },
      { parties: [request.parties[1], request.parties[0]] },
      { parties: [request.parties[0], randomUUID()] },
    ];
    for (const variant of variants) {
      expect((await domainErrorOf(service.create({ ...request, ...variant }, guardian))).code).toBe('SESSION_CONFLICT');
    }
    expect((await service.create(request, guardian)).session).toEqual(session);
  });

  it('refuses more correlations than DEALER_MAX_SESSION_COUNT, and batches above DEALER_MAX_BATCH_BYTES', async () => {
    const tooMany = await domainErrorOf(service.create(newRequest({ count: 1001 }).request, guardian));
    expect(tooMany.code).toBe('VALIDATION_FAILED');
    expect(tooMany.details).toMatchObject({ fields: [{ field: 'count' }] });
    // 256 classes: ~33 MB per correlation for party 1, so 3 exceed the 64 MiB of this configuration.
    const tooLarge = await domainErrorOf(service.create(newRequest({ classes: 256, count: 3 }).request, guardian));
    expect(tooLarge.code).toBe('VALIDATION_FAILED');
    expect(tooLarge.details).toMatchObject({ fields: [{ field: 'count' }] });
    const { request } = newRequest({ count: 1001 });
    expect((await domainErrorOf(service.status(request.id))).code).toBe('NOT_FOUND');
  });

  it('hands each party its half once; the halves agree (the secure argmax is right) and the seed is erased', async () => {
    const { request, querier, teacher } = newRequest({ classes: 5, count: 6 });
    await service.create(request, guardian);

    const batch0 = await service.takeHalf(request.id, 0, querier);
    // Recorded before a single byte was produced.
    expect((await service.status(request.id)).consumed).toEqual([true, false]);
    expect((await seedOf(request.id)).seed).toHaveLength(32);
    const bytes0 = await readAll(batch0);
    expect(bytes0.length).toBe(batch0.bytes);

    const batch1 = await service.takeHalf(request.id, 1, teacher);
    // The last half erases the seed, also before its bytes are produced.
    const erased = await seedOf(request.id);
    expect(erased.seed).toBeNull();
    expect(erased.seed_erased_at).toBeInstanceOf(Date);
    expect((await service.status(request.id)).consumed).toEqual([true, true]);
    const bytes1 = await readAll(batch1);
    expect(bytes1.length).toBe(batch1.bytes);

    const halves0 = decodeCorrelationBatch(bytes0);
    const halves1 = decodeCorrelationBatch(bytes1);
    expect(halves0).toHaveLength(6);
    expect(halves1).toHaveLength(6);
    expect(halves0.map((h) => h.party)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(halves1.map((h) => h.party)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(halves1.map((h) => h.id)).toEqual(halves0.map((h) => h.id));
    expect(new Set(halves0.map((h) => h.id)).size).toBe(6);

    const field = new PrimeField(T);
    const rng = new SeededRng(`dealer-medium-${ENGINE}`);
    const vectors = [
      [3, 9, -2, 9, 0],
      [-5, -4, -3, -2, -1],
      [100000, 2, 3, 4, 5],
      [0, 0, 0, 0, 0],
      [7, 7, 8, -100, 8],
      [-1, 2 ** 20, 2 ** 20 + 1, 0, 12],
    ];
    vectors.forEach((values, i) => {
      expect(secureArgmax(field, values, halves0[i]!, halves1[i]!, rng)).toEqual(plainOneHot(values));
    });
  });

  it('refuses a second fetch of a half (CORRELATION_CONSUMED), also after a delivery the client abandoned', async () => {
    const { request, querier, teacher } = newRequest();
    await service.create(request, guardian);
    await readAll(await service.takeHalf(request.id, 0, querier));
    expect((await domainErrorOf(service.takeHalf(request.id, 0, querier))).code).toBe('CORRELATION_CONSUMED');

    const abandoned = await service.takeHalf(request.id, 1, teacher);
    await abandoned.chunks.return(undefined); // the client went away before the first byte
    expect((await domainErrorOf(service.takeHalf(request.id, 1, teacher))).code).toBe('CORRELATION_CONSUMED');
    expect((await seedOf(request.id)).seed).toBeNull();
  });

  it('hands a half only to a key acting for that party (FORBIDDEN), and consumes nothing on a refusal', async () => {
    const { request, querier, teacher } = newRequest();
    await service.create(request, guardian);
    const refusals = [
      service.takeHalf(request.id, 0, teacher),
      service.takeHalf(request.id, 1, querier),
      service.takeHalf(request.id, 0, principal('querying-party', null)),
      service.takeHalf(request.id, 1, principal('teacher', randomUUID())),
    ];
    for (const refused of refusals) expect((await domainErrorOf(refused)).code).toBe('FORBIDDEN');
    expect((await service.status(request.id)).consumed).toEqual([false, false]);
    expect((await domainErrorOf(service.takeHalf(randomUUID(), 0, querier))).code).toBe('NOT_FOUND');
  });

  it('lets exactly one of several concurrent fetches of the same half through', async () => {
    const { request, querier, teacher } = newRequest({ count: 50 });
    await service.create(request, guardian);
    for (const [party, key] of [
      [0, querier],
      [1, teacher],
    ] as const) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => service.takeHalf(request.id, party, key)),
      );
      const delivered = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(delivered).toHaveLength(1);
      expect(refused.map((o) => (o.reason as DomainError).code)).toEqual(Array(5).fill('CORRELATION_CONSUMED'));
      const batch = (delivered[0] as PromiseFulfilledResult<CorrelationBatchStream>).value;
      expect(decodeCorrelationBatch(await readAll(batch))).toHaveLength(50);
    }
    expect((await seedOf(request.id)).seed).toBeNull();
  });

  it('hands out both halves when they are asked for at once, and erases the seed exactly once', async () => {
    const { request, querier, teacher } = newRequest({ count: 20 });
    await service.create(request, guardian);
    const [batch0, batch1] = await Promise.all([
      service.takeHalf(request.id, 0, querier),
      service.takeHalf(request.id, 1, teacher),
    ]);
    expect((await seedOf(request.id)).seed).toBeNull();
    const [halves0, halves1] = [
      decodeCorrelationBatch(await readAll(batch0)),
      decodeCorrelationBatch(await readAll(batch1)),
    ];
    expect(halves1.map((h) => h.id)).toEqual(halves0.map((h) => h.id));
    const field = new PrimeField(T);
    const rng = new SeededRng('both-at-once');
    expect(secureArgmax(field, [1, 5, 2, 5], halves0[19]!, halves1[19]!, rng)).toEqual([0, 1, 0, 0]);
  });

  it('draws a new seed per session: two sessions of the same shape share no correlation', async () => {
    const a = newRequest({ count: 3 });
    const b = newRequest({ count: 3 });
    await service.create(a.request, guardian);
    await service.create(b.request, guardian);
    const idsA = decodeCorrelationBatch(await readAll(await service.takeHalf(a.request.id, 0, a.querier))).map(
      (h) => h.id,
    );
    const idsB = decodeCorrelationBatch(await readAll(await service.takeHalf(b.request.id, 0, b.querier))).map(
      (h) => h.id,
    );
    expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
  });
});

/** Shares `values` between the two parties, runs the argmax on the dealer's halves, reconstructs the one-hot. */
function secureArgmax(
  field: PrimeField,
  values: number[],
  half0: ArgmaxCorrelation,
  half1: ArgmaxCorrelation,
  rng: SeededRng,
): number[] {
  const [s0, s1] = shareVector(
    field,
    values.map((v) => field.fromSigned(v)),
    rng,
  );
  const [o0, o1] = runArgmaxInMemory(
    new ArgmaxParty({ party: 0, shares: s0, correlation: half0, ledger: new InMemoryCorrelationLedger() }),
    new ArgmaxParty({ party: 1, shares: s1, correlation: half1, ledger: new InMemoryCorrelationLedger() }),
  );
  return Array.from(reconstructVector(field, o0, o1));
}

/** The argmax as a one-hot vector; ties go to the lowest index. */
function plainOneHot(values: number[]): number[] {
  const best = values.indexOf(Math.max(...values));
  return values.map((_, i) => (i === best ? 1 : 0));
}
