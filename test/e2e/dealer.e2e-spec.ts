import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { provisionApiKey, SERVICE_SCRIPTS, spawnService, type ServiceProcess } from '@conclave/app-cli';
import {
  ArgmaxParty,
  correlationBatchBytes,
  decodeCorrelationBatch,
  InMemoryCorrelationLedger,
  PrimeField,
  reconstructVector,
  runArgmaxInMemory,
  SeededRng,
  shareVector,
} from '@conclave/crypto';
import { createPostgresDatabase, databaseOptionsFor, type DatabaseOptions } from '@conclave/db';
import { call } from './platform-harness.js';

const run = promisify(execFile);
const T = 1073692673; // the BFV plain modulus of libs/crypto's parameter sets

/** The dealer as its own process: argmax sessions for the guardian, each half handed out once to its party. */
describe('the dealer service', () => {
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let database: DatabaseOptions;
  let dealer: ServiceProcess;
  let url: string;
  let adminKey: string;
  let guardianKey: string;
  let querierKey: string;
  let teacherKey: string;
  let strangerKey: string;
  const party0 = randomUUID(); // the querying party
  const party1 = randomUUID(); // the teacher service
  const logFile = () => join(dataDir, 'logs', 'dealer-e2e.log');

  const session = (overrides: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    modulus: T,
    classes: 10,
    count: 4,
    parties: [party0, party1],
    ...overrides,
  });
  const create = (body: unknown, key = guardianKey) => call(`${url}/v1/argmax-sessions`, { method: 'POST', key, body });
  const fetchHalf = (id: string, party: number | string, key: string) =>
    fetch(`${url}/v1/argmax-sessions/${id}/halves/${party}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
  const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'conclave-dealer-e2e-'));
    database = databaseOptionsFor('dealer', 'dealer', { CONCLAVE_DATA_DIR: dataDir });
    if (process.env.DATABASE_URL) {
      const created = await createPostgresDatabase(process.env.DATABASE_URL, 'e2e_dealer');
      dropDatabase = created.drop;
      database = { schema: 'dealer', databaseUrl: created.url };
    }
    // The first admin key goes straight into the dealer's own database before it starts (the bootstrap path),
    // and so does the teacher service's key, through the CLI with its party id.
    adminKey = (await provisionApiKey(database, { role: 'admin', label: 'dealer operator' })).key;
    const cli = await run(
      process.execPath,
      [
        SERVICE_SCRIPTS.db, // apps/cli/dist/main.js
        'keys',
        'create',
        '--service',
        'dealer',
        '--role',
        'teacher',
        '--label',
        'teacher service of owner A',
        '--party',
        party1,
        '--data-dir',
        dataDir,
      ],
      {
        env: { PATH: process.env.PATH ?? '', ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}) },
      },
    );
    teacherKey = cli.stdout.trim();
    dealer = await spawnService({
      name: 'dealer-e2e',
      script: SERVICE_SCRIPTS.dealer,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        CONCLAVE_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        DEALER_MAX_SESSION_COUNT: '2000',
        ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
      },
      logFile: logFile(),
    });
    url = dealer.url;
    // The other keys through the API (admin), with the party they act for.
    const issue = async (body: Record<string, unknown>) => {
      const issued = await call(`${url}/v1/keys`, { method: 'POST', key: adminKey, body });
      expect(issued.status).toBe(201);
      return issued.body as { key: string; partyId: string | null };
    };
    guardianKey = (await issue({ role: 'guardian', label: 'consortium guardian' })).key;
    const querier = await issue({ role: 'querying-party', label: 'hospital Q', partyId: party0 });
    expect(querier.partyId).toBe(party0);
    querierKey = querier.key;
    strangerKey = (await issue({ role: 'querying-party', label: 'another party', partyId: randomUUID() })).key;
  });
  afterAll(async () => {
    await dealer?.stop();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('knows the keys by their party: the CLI and the API both issue keys with a partyId', async () => {
    const teacher = await call(`${url}/v1/whoami`, { key: teacherKey });
    expect(teacher.body).toMatchObject({ role: 'teacher', partyId: party1, service: 'dealer' });
    const querier = await call(`${url}/v1/whoami`, { key: querierKey });
    expect(querier.body).toMatchObject({ role: 'querying-party', partyId: party0 });
  });

  it('creates a session (201), repeats it idempotently (200), and refuses another request on its id (409)', async () => {
    const body = session();
    const created = await create(body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: body.id,
      count: 4,
      classes: 10,
      modulus: T,
      parties: [party0, party1],
      createdAt: expect.any(String),
    });
    const repeated = await create(body);
    expect(repeated.status).toBe(200);
    expect(repeated.body).toEqual(created.body);
    const conflict = await create({ ...body, count: 5 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('SESSION_CONFLICT');
    const status = await call(`${url}/v1/argmax-sessions/${body.id}`, { key: guardianKey });
    expect(status.status).toBe(200);
    expect(status.body).toEqual({
      id: body.id,
      count: 4,
      classes: 10,
      parties: [party0, party1],
      consumed: [false, false],
      createdAt: created.body.createdAt,
    });
    expect((await call(`${url}/v1/argmax-sessions/${body.id}`, { key: adminKey })).status).toBe(200);
  });

  it('answers 401 without a key or with a bad one, and 403 to the wrong role or the wrong party', async () => {
    const body = session();
    expect((await create(body)).status).toBe(201);
    expect((await call(`${url}/v1/argmax-sessions`, { method: 'POST', body: session() })).status).toBe(401);
    const bad = await create(session(), 'ck_000000000000_' + 'A'.repeat(43));
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('UNAUTHENTICATED');
    const noKey = await fetch(`${url}/v1/argmax-sessions/${body.id}/halves/0`, { method: 'POST' });
    expect(noKey.status).toBe(401);

    // Only the guardian creates; guardian and admin read the status; only the two parties fetch.
    for (const key of [querierKey, teacherKey, adminKey]) {
      const refused = await create(session(), key);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    expect((await call(`${url}/v1/argmax-sessions/${body.id}`, { key: querierKey })).status).toBe(403);
    for (const key of [guardianKey, adminKey]) expect((await fetchHalf(body.id, 0, key)).status).toBe(403);
    // Right role, wrong party: the querying party's key cannot take the teacher's half, nor a stranger's any half.
    for (const [party, key] of [
      [1, querierKey],
      [0, teacherKey],
      [0, strangerKey],
    ] as const) {
      const refused = await fetchHalf(body.id, party, key);
      expect(refused.status).toBe(403);
      expect(await errorCode(refused)).toBe('FORBIDDEN');
    }
    const status = await call(`${url}/v1/argmax-sessions/${body.id}`, { key: guardianKey });
    expect(status.body.consumed).toEqual([false, false]);
  });

  it('answers 404 for an unknown session', async () => {
    const unknown = randomUUID();
    const status = await call(`${url}/v1/argmax-sessions/${unknown}`, { key: guardianKey });
    expect(status.status).toBe(404);
    expect(status.body.error.code).toBe('NOT_FOUND');
    const half = await fetchHalf(unknown, 0, querierKey);
    expect(half.status).toBe(404);
    expect(await errorCode(half)).toBe('NOT_FOUND');
  });

  it('answers 400 to a bad request, naming the field', async () => {
    const invalid: Array<[Record<string, unknown>, string]> = [
      [{ modulus: 15 }, 'modulus'], // not prime
      [{ modulus: 1024 }, 'modulus'], // even
      [{ modulus: 2 }, 'modulus'],
      [{ modulus: 4294967311 }, 'modulus'], // a prime above 2^32
      [{ modulus: 65537.5 }, 'modulus'],
      [{ modulus: '65537' }, 'modulus'],
      [{ classes: 1 }, 'classes'],
      [{ classes: 257 }, 'classes'],
      [{ classes: 'NaN' }, 'classes'],
      [{ count: 0 }, 'count'],
      [{ count: 100001 }, 'count'],
      [{ count: 2001 }, 'count'], // above DEALER_MAX_SESSION_COUNT of this dealer
      [{ count: 'NaN' }, 'count'],
      [{ count: null }, 'count'],
      [{ count: 1.5 }, 'count'],
      [{ parties: [party0] }, 'parties'],
      [{ parties: [party0, party0] }, 'parties'],
      [{ parties: [party0, party0.toUpperCase()] }, 'parties'],
      [{ parties: [party0, 'teacher-a'] }, 'parties'],
      [{ id: 'session-1' }, 'id'],
    ];
    for (const [overrides, field] of invalid) {
      const refused = await create(session(overrides));
      expect([overrides, refused.status, refused.body.error.code]).toEqual([overrides, 400, 'VALIDATION_FAILED']);
      expect(JSON.stringify(refused.body.error.details)).toContain(`"field":"${field}"`);
    }
    const extra = await create({ ...session(), seed: 'chosen by the guardian' });
    expect(extra.status).toBe(400);
    // 256 classes: ~33 MB per correlation for the teacher's half, so 2,000 exceed the default 8 GiB batch limit.
    const huge = await create(session({ classes: 256, count: 2000 }));
    expect([huge.status, huge.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const notJson = await call(`${url}/v1/argmax-sessions`, { method: 'POST', key: guardianKey, rawBody: '{"id":' });
    expect(notJson.status).toBe(400);
    const badParty = await fetchHalf(randomUUID(), 2, querierKey);
    expect([badParty.status, await errorCode(badParty)]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await fetchHalf('not-a-uuid', 0, querierKey)).status).toBe(400);
    expect((await call(`${url}/v1/argmax-sessions/not-a-uuid`, { key: guardianKey })).status).toBe(400);
  });

  it('hands each party its half once, as a correlation batch; together they compute the argmax', async () => {
    const body = session({ count: 8 });
    expect((await create(body)).status).toBe(201);

    const response0 = await fetchHalf(body.id, 0, querierKey);
    expect(response0.status).toBe(200);
    expect(response0.headers.get('content-type')).toBe('application/octet-stream');
    const bytes0 = new Uint8Array(await response0.arrayBuffer());
    expect(Number(response0.headers.get('content-length'))).toBe(bytes0.length);
    expect(bytes0.length).toBe(correlationBatchBytes({ modulus: T, classes: 10, count: 8, party: 0 }));

    const replay = await fetchHalf(body.id, 0, querierKey);
    expect(replay.status).toBe(409);
    expect(await errorCode(replay)).toBe('CORRELATION_CONSUMED');

    const response1 = await fetchHalf(body.id, 1, teacherKey);
    expect(response1.status).toBe(200);
    const bytes1 = new Uint8Array(await response1.arrayBuffer());
    expect(bytes1.length).toBe(correlationBatchBytes({ modulus: T, classes: 10, count: 8, party: 1 }));
    expect((await fetchHalf(body.id, 1, teacherKey)).status).toBe(409);

    const halves0 = decodeCorrelationBatch(bytes0);
    const halves1 = decodeCorrelationBatch(bytes1);
    expect(halves0).toHaveLength(8);
    expect(halves1.map((h) => h.id)).toEqual(halves0.map((h) => h.id));
    const field = new PrimeField(T);
    const rng = new SeededRng('dealer-e2e');
    for (let i = 0; i < 8; i++) {
      const values = Array.from({ length: 10 }, () => rng.randomBelow(2001) - 1000);
      const [s0, s1] = shareVector(
        field,
        values.map((v) => field.fromSigned(v)),
        rng,
      );
      const [o0, o1] = runArgmaxInMemory(
        new ArgmaxParty({ party: 0, shares: s0, correlation: halves0[i]!, ledger: new InMemoryCorrelationLedger() }),
        new ArgmaxParty({ party: 1, shares: s1, correlation: halves1[i]!, ledger: new InMemoryCorrelationLedger() }),
      );
      const best = values.indexOf(Math.max(...values));
      expect(Array.from(reconstructVector(field, o0, o1))).toEqual(values.map((_, j) => (j === best ? 1 : 0)));
    }

    const status = await call(`${url}/v1/argmax-sessions/${body.id}`, { key: guardianKey });
    expect(status.body.consumed).toEqual([true, true]);
    expect(JSON.stringify(status.body)).not.toMatch(/seed/i);
    // Still idempotent after consumption: the guardian's retry sees the same session.
    expect((await create(body)).status).toBe(200);
  });

  it('keeps a half consumed when its client goes away mid-batch, and keeps serving', async () => {
    const body = session({ count: 1500 }); // the teacher's half: 1,500 × 45 kB ≈ 68 MB
    expect((await create(body)).status).toBe(201);
    const abort = new AbortController();
    const response = await fetch(`${url}/v1/argmax-sessions/${body.id}/halves/1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${teacherKey}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    abort.abort();
    await reader.read().catch(() => undefined);

    const replay = await fetchHalf(body.id, 1, teacherKey);
    expect([replay.status, await errorCode(replay)]).toEqual([409, 'CORRELATION_CONSUMED']);
    expect((await call(`${url}/health`)).status).toBe(200);
    // The other half is still there, once.
    expect((await fetchHalf(body.id, 0, querierKey)).status).toBe(200);
  });

  it('survived everything above, and logged sessions and parties but never a seed', async () => {
    expect(dealer.child.exitCode).toBeNull();
    expect((await call(`${url}/health`)).status).toBe(200);
    expect((await call(`${url}/v1/whoami`, { key: guardianKey })).status).toBe(200);
    const log = readFileSync(logFile(), 'utf8');
    expect(log).toContain('"msg":"argmax session created"');
    expect(log).toContain('"msg":"argmax half handed out"');
    expect(log).toContain('"msg":"argmax session complete: seed erased"');
    expect(log).toContain(party1);
    expect(log).not.toMatch(/"seed"\s*:/);
  });
});
