import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  CapcQueryingParty,
  loadMnistPartitions,
  runCapcLabeling,
  sliceMnistIdx,
  type CapcOpenBatch,
} from '@conclave/app-cli';
import { encodeCapcFrames } from '@conclave/contracts';
import { BFV_4096, CKKS_8192, heParametersToJson } from '@conclave/crypto';
import { CLASSES, imagesOf, startCapcConsortium, type CapcConsortium } from './capc-fixtures.js';
import { call } from './platform-harness.js';

const TEACHERS = ['a', 'b'];
const QUERIES = 4;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Issue 6 item 5: bad input in confidential mode. Every bad message gets a clear 4xx with a code from libs/contracts;
 * nothing is half-stored — a refused batch is failed for good (its correlations are spent) and the same queries are
 * asked again in a new batch, so the job still completes, charging each query once; a job whose own setup cannot
 * work (a public key of other parameters) is failed cleanly. Every service still answers /health afterwards.
 */
describe('confidential mode (capc) refuses bad input', () => {
  let capc: CapcConsortium;
  let db: pg.Client;
  let party: CapcQueryingParty;
  let features: Int32Array[];
  let jobId: string;
  let apiUrl: string;

  const apiCall = (path: string, init: { method?: string; key?: string; body?: unknown; rawBody?: string } = {}) =>
    call(`${apiUrl}${path}`, { method: 'POST', key: capc.party.key, ...init });

  /** POST /v1/jobs of a 2-query capc job with this setup (HE parameters, public key, extractor). */
  const createCapcJob = (setup: unknown) =>
    apiCall('/v1/jobs', {
      body: {
        mode: 'capc',
        budgetId: capc.budgetId,
        mechanism: 'gnmax',
        params: { sigma: 1 },
        maxQueries: 2,
        capc: setup,
      },
    });

  beforeAll(async () => {
    capc = await startCapcConsortium({ teachers: TEACHERS, partitionsPerOwner: 2, perPartition: 100 });
    apiUrl = capc.apiUrl;
    db = new pg.Client({ connectionString: capc.platform.coordinatorUrl });
    await db.connect();
    party = await CapcQueryingParty.create({
      apiUrl,
      apiKey: capc.party.key,
      dealerUrl: capc.dealerUrl,
      dealerKey: capc.party.dealerKey,
      extractor: capc.extractor,
      classes: CLASSES,
    });
    features = party.features(imagesOf((await sliceMnistIdx('test', 0, QUERIES)).images));
    jobId = await party.createJob({ budgetId: capc.budgetId, queries: QUERIES, params: { sigma: 1 } });
  });

  afterAll(async () => {
    party?.dispose();
    await db?.end();
    await capc?.teardown();
  });

  const jobCount = async () =>
    Number((await db.query(`SELECT count(*) AS n FROM labeling_job WHERE mode = 'capc'`)).rows[0].n);
  const batchStatus = async (batchId: string) =>
    (await db.query(`SELECT status, error_code FROM capc_batch WHERE id = $1`, [batchId])).rows[0];

  /** No batch of the job is live (refused ones are failed for good) and nothing of it was charged. */
  const expectNothingLiveOrCharged = async () => {
    const live = await db.query(`SELECT count(*) AS n FROM capc_batch WHERE job_id = $1 AND status <> 'failed'`, [
      jobId,
    ]);
    expect(live.rows[0].n).toBe('0');
    const charged = await db.query(
      `SELECT count(*) AS n FROM ledger_entry l JOIN query q ON q.id = l.query_id WHERE q.job_id = $1`,
      [jobId],
    );
    expect(charged.rows[0].n).toBe('0');
  };

  it('refuses NaN and wrong-dimension records in the client library, before anything is sent', async () => {
    const before = await jobCount();
    const nan = new Float32Array(784).fill(Number.NaN);
    expect(() => party.features([nan])).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => party.features([new Float32Array(100)])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    await expect(
      runCapcLabeling({
        apiUrl,
        apiKey: capc.party.key,
        dealerUrl: capc.dealerUrl,
        dealerKey: capc.party.dealerKey,
        budgetId: capc.budgetId,
        records: [new Float32Array(784), nan],
        extractor: capc.extractor,
        classes: CLASSES,
        heParameters: BFV_4096,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await jobCount()).toBe(before);
  });

  it('refuses missing and wrong credentials', async () => {
    const api = capc.platform.services.api!;
    const batch = { batchId: randomUUID(), firstOrdinal: 0, queries: [party.encryptQuery(features[0]!)] };
    const path = `/v1/jobs/${jobId}/capc/batches`;
    expect((await apiCall(path, { key: undefined, body: batch })).body.error.code).toBe('UNAUTHENTICATED');
    // A teacher service's key (the guardian key it issued) means nothing at the api.
    const teacherKey = await apiCall(path, { key: capc.teachers.a!.guardianKey, body: batch });
    expect({ status: teacherKey.status, code: teacherKey.body.error.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    // An api key of another role (here: a data owner's teacher role) may not call the querying party's routes.
    const ownerKey = await call(`${api.url}/v1/keys`, {
      method: 'POST',
      key: api.adminKey,
      body: { role: 'teacher', label: 'owner a', partyId: capc.teachers.a!.ownerPartyId },
    });
    expect(ownerKey.status).toBe(201);
    const wrongRole = await apiCall(path, { key: ownerKey.body.key, body: batch });
    expect({ status: wrongRole.status, code: wrongRole.body.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    // The querying party of another consortium does not see this job.
    const other = await call(`${api.url}/v1/consortia`, { method: 'POST', key: api.adminKey, body: { name: 'other' } });
    const otherParty = await call(`${api.url}/v1/consortia/${other.body.id}/parties`, {
      method: 'POST',
      key: api.adminKey,
      body: { name: 'clinic z', kind: 'querying-party' },
    });
    const otherKey = await call(`${api.url}/v1/keys`, {
      method: 'POST',
      key: api.adminKey,
      body: { role: 'querying-party', label: 'clinic z', partyId: otherParty.body.id },
    });
    const foreign = await apiCall(path, { key: otherKey.body.key, body: batch });
    expect({ status: foreign.status, code: foreign.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    // The querying party cannot talk to a teacher service directly; a teacher's admin key is not the guardian's.
    const teacher = capc.teachers.a!;
    const direct = await call(`${teacher.url}/v1/capc/evaluate`, { method: 'POST', key: capc.party.key, body: {} });
    expect({ status: direct.status, code: direct.body.error.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const admin = await call(`${teacher.url}/v1/capc/evaluate`, { method: 'POST', key: teacher.adminKey, body: {} });
    expect({ status: admin.status, code: admin.body.error.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    // Nothing was stored by any of these.
    expect((await db.query(`SELECT count(*) AS n FROM capc_batch WHERE job_id = $1`, [jobId])).rows[0].n).toBe('0');
  });

  it('refuses wrong HE parameters, malformed keys and malformed JSON at job creation', async () => {
    const before = await jobCount();
    const setup = party.jobSetup();
    const create = createCapcJob;
    for (const heParameters of [heParametersToJson(CKKS_8192), { scheme: 'bfv', degree: 3 }, { nonsense: true }]) {
      const refused = await create({ ...setup, heParameters });
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({
        status: 400,
        code: 'INVALID_HE_PARAMETERS',
      });
    }
    const badKey = await create({ ...setup, publicKey: 'not base64 !' });
    expect({ status: badKey.status, code: badKey.body.error.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    const malformed = await apiCall('/v1/jobs', { rawBody: '{"mode": "capc", "capc": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_REQUEST');
    expect(await jobCount()).toBe(before);
  });

  it('refuses corrupt, truncated, oversized and foreign ciphertexts; nothing is half-stored', async () => {
    const good = Buffer.from(party.encryptQuery(features[0]!), 'base64');
    const send = (queries: string[], firstOrdinal = 0) =>
      apiCall(`/v1/jobs/${jobId}/capc/batches`, { body: { batchId: randomUUID(), firstOrdinal, queries } });
    const expectRefused = async (queries: string[], status: number, code: string, firstOrdinal = 0) => {
      const answer = await send(queries, firstOrdinal);
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status, code });
    };
    await expectRefused(['%%% not base64 %%%'], 422, 'INVALID_CIPHERTEXT');
    await expectRefused([b64(good.subarray(0, good.length - 100))], 422, 'INVALID_CIPHERTEXT'); // truncated
    await expectRefused([b64(Buffer.concat([good, Buffer.alloc(16)]))], 422, 'INVALID_CIPHERTEXT'); // extended
    const flipped = Buffer.from(good);
    flipped.fill(0xff, 100, 400); // coefficients above their primes
    await expectRefused([b64(flipped)], 422, 'INVALID_CIPHERTEXT');
    const random = Buffer.concat([
      good.subarray(0, 48),
      Buffer.from(Array.from({ length: good.length - 48 }, (_, i) => (i * 151 + 7) % 256)),
    ]);
    await expectRefused([b64(random)], 422, 'INVALID_CIPHERTEXT');
    await expectRefused([b64(Buffer.alloc(30))], 422, 'INVALID_CIPHERTEXT'); // no envelope at all
    await expectRefused([b64(Buffer.alloc(1_200_000, 1))], 413, 'PAYLOAD_TOO_LARGE');
    const small = await CapcQueryingParty.create({ ...party.options, heParameters: BFV_4096 });
    try {
      await expectRefused([small.encryptQuery(features[0]!)], 400, 'HE_CONTEXT_MISMATCH');
    } finally {
      small.dispose();
    }
    await expectRefused([], 400, 'VALIDATION_FAILED');
    await expectRefused(new Array(33).fill(b64(good)), 400, 'VALIDATION_FAILED');
    await expectRefused([b64(good)], 409, 'PROTOCOL_OUT_OF_ORDER', 1); // batches go in order
    // Packing: the queries must fit the ciphertexts sent, and the ciphertexts must leave each query room for the heads.
    const packed = async (extra: Record<string, unknown>, status: number, code: string) => {
      const answer = await apiCall(`/v1/jobs/${jobId}/capc/batches`, {
        body: { batchId: randomUUID(), firstOrdinal: 0, queries: [b64(good)], ...extra },
      });
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status, code });
    };
    await packed({ queriesPerCiphertext: 2, queryCount: 3 }, 400, 'VALIDATION_FAILED'); // 3 queries need 2
    await packed({ queriesPerCiphertext: 0 }, 400, 'VALIDATION_FAILED');
    await packed({ queriesPerCiphertext: 12, queryCount: 1 }, 400, 'INVALID_HE_PARAMETERS'); // 8192 / 12 < 703
    const wrongJson = await apiCall(`/v1/jobs/${jobId}/capc/batches`, { body: { batchId: 'x', queries: 'y' } });
    expect({ status: wrongJson.status, code: wrongJson.body.error.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    // Refused batches that reached the teachers are failed for good; no query left pending-with-a-batch.
    await expectNothingLiveOrCharged();
  });

  it('refuses malformed framed (binary) bodies at the api and at a teacher service; nothing is half-stored', async () => {
    const good = Buffer.from(party.encryptQuery(features[0]!), 'base64');
    const post = async (url: string, body: Uint8Array | string, init: { key?: string | null; type?: string } = {}) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? capc.party.key}` }),
          'content-type': init.type ?? 'application/octet-stream',
        },
        body,
      });
      const text = await response.text();
      let code: unknown;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch {
        code = 'not JSON';
      }
      return { status: response.status, code };
    };
    const batchUrl = `${apiUrl}/v1/jobs/${jobId}/capc/batches/framed`;
    const header = () => ({ batchId: randomUUID(), firstOrdinal: 0 });
    const whole = encodeCapcFrames(header(), [good]);
    expect(await post(batchUrl, whole, { key: null })).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await post(batchUrl, whole, { key: capc.teachers.a!.guardianKey })).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await post(batchUrl, JSON.stringify(header()), { type: 'application/json' })).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    });
    expect(await post(batchUrl, whole.subarray(0, whole.length - 10))).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    }); // truncated
    expect(await post(batchUrl, Buffer.from('not a framed body at all'))).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    });
    expect(await post(batchUrl, encodeCapcFrames({ ...header(), extra: 1 }, [good]))).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(await post(batchUrl, encodeCapcFrames({ batchId: 'x', firstOrdinal: 0 }, [good]))).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(await post(batchUrl, encodeCapcFrames(header(), [Buffer.alloc(1_200_000, 1)]))).toEqual({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await post(batchUrl, encodeCapcFrames(header(), [good.subarray(0, 30)]))).toEqual({
      status: 422,
      code: 'INVALID_CIPHERTEXT',
    }); // no envelope
    const flipped = Buffer.from(good);
    flipped.fill(0xff, 100, 400); // coefficients above their primes: refused by the teacher services
    expect(await post(batchUrl, encodeCapcFrames(header(), [flipped]))).toEqual({
      status: 422,
      code: 'INVALID_CIPHERTEXT',
    });
    // A teacher service's framed evaluation, called as the guardian.
    const teacher = capc.teachers.a!;
    const evaluateUrl = `${teacher.url}/v1/capc/evaluate/framed`;
    const asGuardian = { key: teacher.guardianKey };
    expect(await post(evaluateUrl, Buffer.from('garbage'), asGuardian)).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    });
    expect(
      await post(evaluateUrl, encodeCapcFrames({ sessionId: 'x', unknown: true }, [good, good]), asGuardian),
    ).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(await post(evaluateUrl, encodeCapcFrames({}, [good]), { key: capc.party.key })).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(await post(evaluateUrl, '{}', { ...asGuardian, type: 'application/json' })).toEqual({
      status: 400,
      code: 'MALFORMED_REQUEST',
    });
    await expectNothingLiveOrCharged();
  });

  it('refuses replayed batches, replayed, out-of-order and corrupted argmax rounds, and bad share sums', async () => {
    const batch: CapcOpenBatch = await party.openBatch(jobId, 0, features.slice(0, 2));
    // The same batch id again.
    const replay = await apiCall(`/v1/jobs/${jobId}/capc/batches`, {
      body: { batchId: batch.batchId, firstOrdinal: 2, queries: [party.encryptQuery(features[2]!)] },
    });
    expect({ status: replay.status, code: replay.body.error.code }).toEqual({ status: 409, code: 'REPLAY_DETECTED' });
    const roundPath = (round: number) => `/v1/jobs/${jobId}/capc/batches/${batch.batchId}/rounds/${round}`;
    // Out of order: round 3 before round 1.
    const early = await apiCall(roundPath(3), { body: { messages: batch.nextMessages() } });
    expect({ status: early.status, code: early.body.error.code }).toEqual({
      status: 409,
      code: 'PROTOCOL_OUT_OF_ORDER',
    });
    // Malformed messages: not base64, a teacher missing, not JSON.
    const notBase64 = Object.fromEntries(Object.keys(batch.nextMessages()).map((t) => [t, '!!']));
    const bad = await apiCall(roundPath(1), { body: { messages: notBase64 } });
    expect({ status: bad.status, code: bad.body.error.code }).toEqual({
      status: 400,
      code: 'INVALID_PROTOCOL_MESSAGE',
    });
    const missing = await apiCall(roundPath(1), { body: { messages: {} } });
    expect(missing.body.error.code).toBe('INVALID_PROTOCOL_MESSAGE');
    const notJson = await apiCall(roundPath(1), { rawBody: '{"messages":' });
    expect(notJson.body.error.code).toBe('MALFORMED_REQUEST');
    // Share sums before the rounds are done.
    const sumsEarly = await apiCall(`/v1/jobs/${jobId}/capc/batches/${batch.batchId}/shares`, {
      body: { shareSums: b64(new Uint8Array(2 * CLASSES * 4)) },
    });
    expect(sumsEarly.body.error.code).toBe('PROTOCOL_OUT_OF_ORDER');
    // Round 1 properly, then round 1 again (a replay): refused, and the batch goes on.
    const round1 = batch.nextMessages();
    await batch.runRound();
    const again = await apiCall(roundPath(1), { body: { messages: round1 } });
    expect({ status: again.status, code: again.body.error.code }).toEqual({
      status: 409,
      code: 'PROTOCOL_OUT_OF_ORDER',
    });
    await batch.runRounds();
    const sums = batch.shareSums();
    const sharesPath = `/v1/jobs/${jobId}/capc/batches/${batch.batchId}/shares`;
    const short = await apiCall(sharesPath, { body: { shareSums: b64(new Uint8Array(12)) } });
    expect({ status: short.status, code: short.body.error.code }).toEqual({
      status: 400,
      code: 'INVALID_PROTOCOL_MESSAGE',
    });
    const tooBig = Uint32Array.from(sums);
    tooBig[0] = 0xffffffff;
    const outOfRange = await apiCall(sharesPath, {
      body: { shareSums: b64(new Uint8Array(tooBig.buffer)) },
    });
    expect(outOfRange.body.error.code).toBe('INVALID_PROTOCOL_MESSAGE');
    // Wrong sums (one vote moved): the relay cannot tell, the guardian can — it refuses the batch, releases nothing.
    const tampered = Uint32Array.from(sums);
    tampered[0] = (tampered[0]! + 1) % batch.modulus;
    await batch.sendShareSums(tampered);
    const replayedSums = await apiCall(sharesPath, { body: { shareSums: b64(new Uint8Array(sums.buffer)) } });
    expect({ status: replayedSums.status, code: replayedSums.body.error.code }).toEqual({
      status: 409,
      code: 'REPLAY_DETECTED',
    });
    const deadline = Date.now() + 60_000;
    while ((await batchStatus(batch.batchId)).status === 'shared' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await batchStatus(batch.batchId)).toEqual({ status: 'failed', error_code: 'INVALID_PROTOCOL_MESSAGE' });
    const released = await db.query(`SELECT count(*) AS n FROM query WHERE job_id = $1 AND status <> 'pending'`, [
      jobId,
    ]);
    expect(released.rows[0].n).toBe('0');

    // A corrupted argmax message mid-protocol: refused, and the batch is over for good (correlations are single-use).
    const second = await party.openBatch(jobId, 0, features.slice(0, 2));
    await second.runRound();
    const corrupted = Object.fromEntries(
      Object.entries(second.nextMessages()).map(([t, m]) => {
        const bytes = Buffer.from(m, 'base64');
        bytes[bytes.length - 1] ^= 0xff;
        bytes.writeUInt16LE(9, 5); // wrong round number in the header of the first instance
        return [t, bytes.toString('base64')];
      }),
    );
    const refusedRound = await apiCall(`/v1/jobs/${jobId}/capc/batches/${second.batchId}/rounds/2`, {
      body: { messages: corrupted },
    });
    expect(refusedRound.status).toBe(400);
    expect(refusedRound.body.error.code).toBe('INVALID_PROTOCOL_MESSAGE');
    expect((await batchStatus(second.batchId)).status).toBe('failed');
  });

  it('still completes the job afterwards, charging each query once', async () => {
    await party.labelBatch(jobId, 0, features.slice(0, 2));
    await party.labelBatch(jobId, 2, features.slice(2));
    expect(await party.waitForJob(jobId, 120_000)).toBe('completed');
    const labels = await party.labels(jobId);
    expect(labels.map((l) => l.status)).toEqual(new Array(QUERIES).fill('answered'));
    const ledger = await db.query(
      `SELECT l.query_id FROM ledger_entry l JOIN query q ON q.id = l.query_id WHERE q.job_id = $1`,
      [jobId],
    );
    expect(new Set(ledger.rows.map((r: { query_id: string }) => r.query_id)).size).toBe(QUERIES);
    const histograms = await db.query(`SELECT count(*) AS n FROM query WHERE job_id = $1 AND vote_counts IS NOT NULL`, [
      jobId,
    ]);
    expect(histograms.rows[0].n).toBe(String(QUERIES));
  });

  it('fails a job cleanly whose public key belongs to other HE parameters', async () => {
    const small = await CapcQueryingParty.create({ ...party.options, heParameters: BFV_4096 });
    try {
      const setup = { ...party.jobSetup(), publicKey: small.jobSetup().publicKey };
      const created = await createCapcJob(setup);
      expect(created.status).toBe(201);
      const first = await apiCall(`/v1/jobs/${created.body.id}/capc/batches`, {
        body: { batchId: randomUUID(), firstOrdinal: 0, queries: [party.encryptQuery(features[0]!)] },
      });
      expect({ status: first.status, code: first.body.error.code }).toEqual({
        status: 400,
        code: 'HE_CONTEXT_MISMATCH',
      });
      const job = await apiCall(`/v1/jobs/${created.body.id}`, { method: 'GET' });
      expect(job.body.status).toBe('failed');
      const open = await db.query(`SELECT count(*) AS n FROM query WHERE job_id = $1 AND status = 'pending'`, [
        created.body.id,
      ]);
      expect(open.rows[0].n).toBe('0');
    } finally {
      small.dispose();
    }
  });

  it('runs a pate job while a capc job waits for its querying party (the capc job holds no worker)', async () => {
    const waiting = await party.createJob({ budgetId: capc.budgetId, queries: 2, params: { sigma: 1 } });
    const api = capc.platform.services.api!;
    for (const [i, id] of TEACHERS.entries()) {
      const teacher = capc.teachers[id]!;
      await loadMnistPartitions({
        url: teacher.url,
        key: teacher.adminKey,
        dataset: 'mnist',
        partitions: 1,
        perPartition: 60,
        offset: 5000 + i * 60,
      });
      const started = await call(`${teacher.url}/v1/datasets/mnist/train`, {
        method: 'POST',
        key: teacher.adminKey,
        body: { architecture: 'mlp', epochs: 2, seed: i + 1 },
      });
      expect(started.status).toBe(202);
    }
    for (const id of TEACHERS) {
      const teacher = capc.teachers[id]!;
      for (;;) {
        const status = (await call(`${teacher.url}/v1/datasets/mnist/training`, { key: teacher.adminKey })).body;
        if (status.partitions.every((p: { status: string }) => p.status === 'ready')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const { images } = await sliceMnistIdx('test', 100, 3);
    const upload = await fetch(
      `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${capc.datasetId}&name=pate-queries&format=idx`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${capc.party.key}`, 'content-type': 'application/octet-stream' },
        body: images,
      },
    );
    expect(upload.status).toBe(201);
    const pate = await apiCall('/v1/jobs', {
      body: {
        unlabeledDatasetId: ((await upload.json()) as { id: string }).id,
        budgetId: capc.budgetId,
        mechanism: 'gnmax',
        params: { sigma: 1 },
        maxQueries: 3,
      },
    });
    expect(pate.status).toBe(201);
    const deadline = Date.now() + 60_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await apiCall(`/v1/jobs/${pate.body.id}`, { method: 'GET' })).body.status;
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(status).toBe('completed');
    // The capc job is still there, waiting (running or queued), and can still be served.
    expect(['queued', 'running']).toContain((await apiCall(`/v1/jobs/${waiting}`, { method: 'GET' })).body.status);
    await party.labelBatch(waiting, 0, features.slice(0, 2));
    expect(await party.waitForJob(waiting, 60_000)).toBe('completed');
  });

  it('leaves every service answering /health', async () => {
    for (const [name, service] of Object.entries(capc.platform.services)) {
      const health = await fetch(`${service.url}/health`);
      expect({ name, status: health.status }).toEqual({ name, status: 200 });
    }
  });
});
