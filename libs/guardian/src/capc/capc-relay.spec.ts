import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogger, domainErrorOf } from '@conclave/common';
import { decodeCapcFrames, encodeCapcFrames, encodeU32 } from '@conclave/contracts';
import { BFV_8192, heParametersToJson } from '@conclave/crypto';
import type {
  CapcRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
} from '@conclave/db';
import { CapcRelay } from './capc-relay.js';

const CLASSES = 10;
const QUERIES = 2;
const jobId = randomUUID();
const batchId = randomUUID();
const party = randomUUID();
/** Both teacher services are one local HTTP server (paths /a and /b), started before the tests. */
const teachers = ['a', 'b'].map((id) => ({
  partyId: randomUUID(),
  name: `owner-${id}`,
  url: `http://127.0.0.1:0/${id}`,
  guardianApiKey: `ck_${id}`,
}));
const sessions = teachers.map(() => randomUUID());

/**
 * The relay's rounds against strict repository mocks and teacher services answered in memory (fetch stubbed): what a
 * round costs in database calls, and the framed route's checks.
 */
describe('CapcRelay rounds (the coordinator, confidential mode)', () => {
  const calls: string[] = [];
  const track =
    <T>(name: string, value: T) =>
    (..._args: unknown[]) => {
      calls.push(name);
      return Promise.resolve(value);
    };
  let round = 0;
  let claim = true;
  const capc = {
    findJob: track('capc.findJob', { jobId, heParameters: heParametersToJson(BFV_8192), publicKey: Buffer.alloc(64) }),
    findBatch: track('capc.findBatch', {
      id: batchId,
      jobId,
      status: 'relaying',
      round: 0,
      queryCount: QUERIES,
      teachers: teachers.map((t, i) => ({ partyId: t.partyId, sessionId: sessions[i], partitions: 3 })),
      teacherShareSums: {},
    }),
    claimRound: (...args: unknown[]) => {
      calls.push('capc.claimRound');
      return Promise.resolve(claim && args[1] === ++round);
    },
    addTeacherShareSums: track('capc.addTeacherShareSums', undefined),
    failBatch: track('capc.failBatch', undefined),
  };
  const jobs = {
    findForParty: track('jobs.findForParty', { id: jobId, mode: 'capc', status: 'running', budgetId: 'budget' }),
  };
  const budgets = { findById: track('budgets.findById', { consortiumDatasetId: 'dataset' }) };
  const consortia = {
    findDataset: track('consortia.findDataset', {
      consortiumId: 'c',
      name: 'mnist',
      numClasses: CLASSES,
      teachersDiscardedAt: null,
    }),
    teacherEndpoints: track('consortia.teacherEndpoints', teachers),
  };
  const relay = new CapcRelay(
    capc as unknown as CapcRepository,
    jobs as unknown as LabelingJobRepository,
    budgets as unknown as PrivacyBudgetRepository,
    consortia as unknown as ConsortiumRepository,
    createLogger('api', 'silent'),
  );
  const teacherRequests: Array<{ url: string; body: Uint8Array; authorization?: string }> = [];

  let server: Server;
  beforeAll(async () => {
    // Each teacher service echoes the message reversed; after round 3 it adds its share sums.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '';
        const body = Buffer.concat(chunks);
        teacherRequests.push({ url, body, authorization: req.headers.authorization });
        const decoded = decodeCapcFrames(body, { maxFrames: 1, maxFrameBytes: 1 << 20 });
        const r = Number(/\/rounds\/(\d+)\/framed$/.exec(url)?.[1]);
        if (!decoded.ok || !r) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'MALFORMED_REQUEST', message: 'no' } }));
          return;
        }
        const header: Record<string, unknown> = { round: r };
        if (r === 3) header.shareSums = Buffer.from(encodeU32(new Array(QUERIES * CLASSES).fill(7))).toString('base64');
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(encodeCapcFrames(header, [Uint8Array.from(decoded.frames[0]!).reverse()]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    for (const t of teachers) t.url = t.url.replace(':0/', `:${port}/`);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });
  beforeEach(() => {
    calls.length = 0;
    teacherRequests.length = 0;
  });

  const framedRound = (r: number, order = teachers, messages = order.map((_, i) => Uint8Array.of(i + 1, r))) =>
    relay.relayFramedRound(
      party,
      jobId,
      batchId,
      r,
      encodeCapcFrames({ teachers: order.map((t) => t.partyId) }, messages),
    );

  it('rebuilds a batch it did not start from the database once, then one job lookup and one claim per round', async () => {
    const first = await framedRound(1);
    expect(first.header).toEqual({ round: 1, teachers: teachers.map((t) => t.partyId) });
    expect(first.frames.map((f) => Array.from(f))).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(calls.filter((c) => c === 'capc.findJob' || c === 'consortia.teacherEndpoints')).toHaveLength(2);
    expect(teacherRequests.map((r) => [r.url, r.authorization])).toEqual(
      teachers.map((t, i) => [
        `${new URL(t.url).pathname}/v1/capc/sessions/${sessions[i]}/rounds/1/framed`,
        `Bearer ${t.guardianApiKey}`,
      ]),
    );
    calls.length = 0;
    // Round 2 with the teachers in the other order: each still gets its own message.
    const second = await framedRound(2, [...teachers].reverse());
    expect(second.frames.map((f) => Array.from(f))).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(calls).toEqual(['jobs.findForParty', 'capc.claimRound']);
    calls.length = 0;
    // The last round: the share sums are kept for the guardian, never returned.
    const last = await framedRound(3);
    expect(JSON.stringify(last.header)).not.toContain('shareSums');
    expect(last.frames).toHaveLength(2);
    expect(calls).toEqual([
      'jobs.findForParty',
      'capc.claimRound',
      'capc.addTeacherShareSums',
      'capc.addTeacherShareSums',
    ]);
  });

  it('refuses a round that does not name every teacher exactly once, or is not framed, without claiming it', async () => {
    const bad = [
      encodeCapcFrames({ teachers: [teachers[0]!.partyId] }, [Uint8Array.of(1)]),
      encodeCapcFrames({ teachers: [teachers[0]!.partyId, teachers[0]!.partyId] }, [
        Uint8Array.of(1),
        Uint8Array.of(2),
      ]),
      encodeCapcFrames({ teachers: teachers.map((t) => t.partyId) }, [Uint8Array.of(1)]),
      encodeCapcFrames({ teachers: teachers.map((t) => t.partyId), extra: 1 }, [Uint8Array.of(1), Uint8Array.of(2)]),
      encodeCapcFrames({ teachers: teachers.map((t) => t.partyId) }, [Uint8Array.of(1), new Uint8Array(0)]),
    ];
    for (const body of bad) {
      const refused = await domainErrorOf(relay.relayFramedRound(party, jobId, batchId, 4, body));
      expect(refused.code).toBe('INVALID_PROTOCOL_MESSAGE');
    }
    expect((await domainErrorOf(relay.relayFramedRound(party, jobId, batchId, 4, new Uint8Array(5)))).code).toBe(
      'MALFORMED_REQUEST',
    );
    expect(calls).not.toContain('capc.claimRound');
    expect(teacherRequests).toHaveLength(0);
  });

  it('refuses a replayed or out-of-order round (409) without relaying it', async () => {
    claim = false;
    try {
      const refused = await domainErrorOf(framedRound(2));
      expect(refused.code).toBe('PROTOCOL_OUT_OF_ORDER');
      expect(teacherRequests).toHaveLength(0);
    } finally {
      claim = true;
    }
  });
});
