import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, loadConfig, domainErrorOf } from '@conclave/common';
import { encodeCapcFrames, type CapcFramedEvaluateRequestHeader } from '@conclave/contracts';
import {
  ArgmaxParty,
  BFV_4096,
  BfvLinearClient,
  dealArgmaxCorrelation,
  encodeCorrelationBatch,
  HeContext,
  heParametersToJson,
  InMemoryCorrelationLedger,
  PrimeField,
  SeededRng,
  type ArgmaxCorrelation,
  type HeKeyPair,
} from '@conclave/crypto';
import { publicFeatureExtractor, quantizeLinearHead } from '@conclave/ml';
import { TeacherEnv } from '../teacher.env.js';
import type { CapcHead } from './capc-head.source.js';
import { CapcService } from './capc.service.js';

const CLASSES = 10;
const PARTITIONS = 3;
const QUERIES = 3;
const DEALER = 'http://dealer.test';
const extractor = publicFeatureExtractor('mnist');
const rng = new SeededRng('teacher-capc-service');

/** Small random linear heads on the public features (one per partition). */
const heads: CapcHead[] = Array.from({ length: PARTITIONS }, (_, p) => ({
  partitionId: randomUUID(),
  partitionIndex: p,
  extractorId: extractor.id,
  kind: 'linear',
  classes: CLASSES,
  dimension: extractor.dimension,
  weights: Float32Array.from({ length: CLASSES * extractor.dimension }, () => rng.randomBelow(2001) / 1000 - 1),
  bias: Float32Array.from({ length: CLASSES }, () => rng.randomBelow(201) / 100 - 1),
  contentHash: `head-${p}`,
}));

describe('CapcService (teacher, confidential mode): framed bodies, halves prefetched, rounds', () => {
  let context: HeContext;
  let keys: HeKeyPair;
  let service: CapcService;
  const originalFetch = globalThis.fetch;
  /** Dealer sessions this test dealt: party 1's halves are served once per fetch, party 0's kept for the test. */
  const dealt = new Map<string, Array<[ArgmaxCorrelation, ArgmaxCorrelation]>>();
  const fetched: string[] = [];
  let dealerRefuses = false;

  beforeAll(async () => {
    context = await HeContext.create(BFV_4096);
    keys = context.generateKeys();
    const config = loadConfig('teacher', TeacherEnv, { DEALER_URL: DEALER, DEALER_KEY: 'ck_dealer' });
    service = new CapcService({ headsFor: () => Promise.resolve(heads) }, config, createLogger('teacher', 'silent'));
    globalThis.fetch = (async (input: string | URL | Request) => {
      const url = String(input);
      const match = /\/v1\/argmax-sessions\/([^/]+)\/halves\/1$/.exec(url);
      if (!url.startsWith(DEALER) || !match) throw new Error(`unexpected fetch ${url}`);
      fetched.push(match[1]!);
      if (dealerRefuses) {
        return new Response(JSON.stringify({ error: { code: 'CORRELATION_CONSUMED', message: 'taken' } }), {
          status: 409,
        });
      }
      const halves = dealt.get(match[1]!)!.map((pair) => pair[1]);
      return new Response(encodeCorrelationBatch(halves));
    }) as typeof fetch;
  });
  afterEach(() => {
    dealerRefuses = false;
  });
  afterAll(() => {
    globalThis.fetch = originalFetch;
    service?.onApplicationShutdown();
    keys?.dispose();
    context?.dispose();
  });

  const features = Array.from({ length: QUERIES }, () =>
    Int32Array.from({ length: extractor.dimension }, () => rng.randomBelow(extractor.maxAbsFeature + 1)),
  );

  /** A framed evaluate request's header for this test's heads (BFV_4096), with `extra` fields (packing). */
  function evaluateHeader(
    sessionId: string,
    extra: Record<string, unknown> = {},
  ): CapcFramedEvaluateRequestHeader & Record<string, unknown> {
    return {
      sessionId,
      jobId: randomUUID(),
      dataset: 'mnist',
      heParameters: heParametersToJson(BFV_4096) as unknown as Record<string, unknown>,
      extractor: {
        id: extractor.id,
        dimension: extractor.dimension,
        featureScale: extractor.featureScale,
        maxAbsFeature: extractor.maxAbsFeature,
      },
      classes: CLASSES,
      ...extra,
    };
  }

  /**
   * Evaluates the queries through the framed route, `perCiphertext` queries packed into each ciphertext; returns this
   * test's (the querying party's) logit shares, query-major then partition.
   */
  async function evaluate(sessionId: string, perCiphertext = 1): Promise<Uint32Array[]> {
    const header = evaluateHeader(
      sessionId,
      perCiphertext > 1 ? { queriesPerCiphertext: perCiphertext, queryCount: QUERIES } : {},
    );
    const client = new BfvLinearClient(
      keys,
      { features: extractor.dimension, classes: CLASSES },
      extractor.maxAbsFeature,
      { queriesPerCiphertext: perCiphertext },
    );
    const ciphertexts: Uint8Array[] = [];
    for (let q = 0; q < QUERIES; q += perCiphertext) {
      ciphertexts.push(client.encryptQueries(features.slice(q, q + perCiphertext)));
    }
    const body = encodeCapcFrames(header, [keys.publicKey.export(), ...ciphertexts]);
    const answer = await service.evaluateFramed(body);
    const { partitions, packing } = answer.header as { partitions: number; packing: number[] };
    expect(partitions).toBe(PARTITIONS);
    expect(answer.frames).toHaveLength(ciphertexts.length * packing.length);
    const shares = new Array<Uint32Array>(QUERIES * PARTITIONS);
    let frame = 0;
    for (let c = 0; c < ciphertexts.length; c++) {
      let first = 0;
      for (const size of packing) {
        const group = new BfvLinearClient(
          keys,
          { features: extractor.dimension, classes: CLASSES * size },
          extractor.maxAbsFeature,
          { queriesPerCiphertext: perCiphertext },
        );
        const share = group.decryptShare(answer.frames[frame++]!);
        for (let slot = 0; slot < perCiphertext && c * perCiphertext + slot < QUERIES; slot++) {
          for (let p = 0; p < size; p++) {
            const at = (slot * size + p) * CLASSES;
            shares[(c * perCiphertext + slot) * PARTITIONS + first + p] = share.slice(at, at + CLASSES);
          }
        }
        first += size;
      }
    }
    dealt.set(
      sessionId,
      shares.map(() => dealArgmaxCorrelation({ modulus: context.plainModulus!, classes: CLASSES, rng })),
    );
    return shares;
  }

  /** Runs this test's side of every argmax through the framed rounds; returns the service's share sums. */
  async function runRounds(sessionId: string, shares: Uint32Array[]): Promise<Uint32Array> {
    const ledger = new InMemoryCorrelationLedger();
    const parties = dealt
      .get(sessionId)!
      .map((pair, i) => new ArgmaxParty({ party: 0, shares: shares[i]!, correlation: pair[0], ledger }));
    let outgoing = parties.map((party) => {
      const step = party.start();
      if (step.kind !== 'send') throw new Error('finished early');
      return step.message;
    });
    const oneHot: Uint32Array[] = [];
    for (let round = 1; outgoing.length > 0; round++) {
      const answer = await service.roundFramed(sessionId, round, encodeCapcFrames({}, [Buffer.concat(outgoing)]));
      const header = answer.header as { round: number; shareSums?: string };
      expect(header.round).toBe(round);
      const message = answer.frames[0]!;
      const size = message.length / parties.length;
      const next: Uint8Array[] = [];
      parties.forEach((party, i) => {
        const step = party.receive(message.subarray(i * size, (i + 1) * size));
        if (step.kind === 'send') next.push(step.message);
        else oneHot.push(step.oneHotShares);
      });
      outgoing = next;
      if (next.length === 0) {
        const sums = Buffer.from(header.shareSums!, 'base64');
        const field = new PrimeField(context.plainModulus!);
        // The service's sums plus this party's one-hot shares, per query: the vote histogram.
        return Uint32Array.from({ length: QUERIES * CLASSES }, (_, j) => {
          const [q, c] = [Math.floor(j / CLASSES), j % CLASSES];
          let v = sums.readUInt32LE(4 * j);
          for (let p = 0; p < PARTITIONS; p++) v = field.add(v, oneHot[q * PARTITIONS + p]![c]!);
          return v;
        });
      }
    }
    throw new Error('no rounds');
  }

  /** The votes the heads give in plaintext (libs/ml's quantization), per query. */
  function plaintextHistograms(): number[] {
    const counts = new Array<number>(QUERIES * CLASSES).fill(0);
    for (const head of heads) {
      const q = quantizeLinearHead({ ...head, kind: 'linear' }, extractor);
      features.forEach((x, i) => {
        let best = 0;
        let bestValue = -Infinity;
        for (let c = 0; c < CLASSES; c++) {
          let v = q.bias[c]!;
          for (let j = 0; j < extractor.dimension; j++) v += q.weights[c * extractor.dimension + j]! * x[j]!;
          if (v > bestValue) [best, bestValue] = [c, v];
        }
        counts[i * CLASSES + best]! += 1;
      });
    }
    return counts;
  }

  it('evaluates a framed batch, fetches its halves once when prepared, and the rounds give the plaintext votes', async () => {
    const sessionId = randomUUID();
    const shares = await evaluate(sessionId);
    expect(service.prepareSession(sessionId)).toEqual({ sessionId });
    expect(service.prepareSession(sessionId)).toEqual({ sessionId }); // idempotent: still one fetch
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fetched.filter((id) => id === sessionId)).toHaveLength(1); // before any round
    const histograms = await runRounds(sessionId, shares);
    expect(Array.from(histograms)).toEqual(plaintextHistograms());
    expect(fetched.filter((id) => id === sessionId)).toHaveLength(1);
    // The session is over: no further round, no prepare.
    expect(
      (await domainErrorOf(service.roundFramed(sessionId, 1, encodeCapcFrames({}, [new Uint8Array(4)])))).code,
    ).toBe('NOT_FOUND');
    expect(() => service.prepareSession(sessionId)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('answers queries packed several per ciphertext (a partial last ciphertext): the same plaintext votes', async () => {
    const sessionId = randomUUID();
    const shares = await evaluate(sessionId, 2); // 3 queries: ciphertexts of 2 and 1
    const histograms = await runRounds(sessionId, shares);
    expect(Array.from(histograms)).toEqual(plaintextHistograms());
  });

  it('refuses a packing that does not fit its ciphertexts or the heads', async () => {
    const client = new BfvLinearClient(keys, { features: extractor.dimension, classes: CLASSES }, 127);
    const query = client.encryptQuery(features[0]!);
    const refused = (extra: Record<string, unknown>, frames = 1) =>
      domainErrorOf(
        service.evaluateFramed(
          encodeCapcFrames(evaluateHeader(randomUUID(), extra), [
            keys.publicKey.export(),
            ...Array.from({ length: frames }, () => query),
          ]),
        ),
      );
    // 5 queries in 2 ciphertexts at 2 per ciphertext: 3 ciphertexts are needed.
    const wrongCount = await refused({ queriesPerCiphertext: 2, queryCount: 5 }, 2);
    expect(wrongCount.code).toBe('VALIDATION_FAILED');
    expect(wrongCount.message).toContain('queryCount');
    // 6 queries of 703 coefficients do not fit N = 4096 (stride 682).
    expect((await refused({ queriesPerCiphertext: 6, queryCount: 6 })).code).toBe('INVALID_HE_PARAMETERS');
    expect((await refused({ queriesPerCiphertext: 0 })).code).toBe('VALIDATION_FAILED');
  });

  it('starts the argmaxes at round 1 when no prepare came, and refuses a replayed round and a late prepare', async () => {
    const sessionId = randomUUID();
    const shares = await evaluate(sessionId);
    const ledger = new InMemoryCorrelationLedger();
    const parties = dealt
      .get(sessionId)!
      .map((pair, i) => new ArgmaxParty({ party: 0, shares: shares[i]!, correlation: pair[0], ledger }));
    const first = Buffer.concat(
      parties.map((p) => {
        const step = p.start();
        return step.kind === 'send' ? step.message : new Uint8Array(0);
      }),
    );
    await service.roundFramed(sessionId, 1, encodeCapcFrames({}, [first]));
    expect(fetched.filter((id) => id === sessionId)).toHaveLength(1);
    expect((await domainErrorOf(service.roundFramed(sessionId, 1, encodeCapcFrames({}, [first])))).code).toBe(
      'PROTOCOL_OUT_OF_ORDER',
    );
    expect(() => service.prepareSession(sessionId)).toThrow(expect.objectContaining({ code: 'PROTOCOL_OUT_OF_ORDER' }));
  });

  it("reports a dealer's refusal at round 1 (not at prepare), and the session is over", async () => {
    const sessionId = randomUUID();
    await evaluate(sessionId);
    dealerRefuses = true;
    expect(service.prepareSession(sessionId)).toEqual({ sessionId });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await domainErrorOf(service.roundFramed(sessionId, 1, encodeCapcFrames({}, [new Uint8Array(8)])));
    expect(refused.code).toBe('CORRELATION_CONSUMED');
    expect(
      (await domainErrorOf(service.roundFramed(sessionId, 2, encodeCapcFrames({}, [new Uint8Array(8)])))).code,
    ).toBe('NOT_FOUND');
  });

  it('refuses malformed framed bodies with codes, before any work', async () => {
    expect((await domainErrorOf(service.evaluateFramed(new Uint8Array(10)))).code).toBe('MALFORMED_REQUEST');
    const unknownField = encodeCapcFrames({ sessionId: randomUUID(), surprise: 1 }, [new Uint8Array(1)]);
    expect((await domainErrorOf(service.evaluateFramed(unknownField))).code).toBe('VALIDATION_FAILED');
    expect((await domainErrorOf(service.roundFramed(randomUUID(), 1, encodeCapcFrames({ x: 1 }, [])))).code).toBe(
      'INVALID_PROTOCOL_MESSAGE',
    );
  });
});
