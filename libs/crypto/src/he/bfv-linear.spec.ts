import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import { CryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';
import { ArgmaxCorrelation, dealArgmaxCorrelation } from '../mpc/argmax-correlation.js';
import { ArgmaxParty, runArgmaxInMemory } from '../mpc/argmax-party.js';
import { InMemoryCorrelationLedger } from '../mpc/correlation-ledger.js';
import { reconstructVector, sumShareVectors } from '../ring/additive-sharing.js';
import { PrimeField } from '../ring/prime-field.js';
import type { Rng } from '../rng/rng.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { chiSquareCritical, chiSquareUniform } from '../testing/chi-square.js';
import {
  BfvLinearClient,
  BfvLinearTeacher,
  linearLogits,
  logitCoefficient,
  maxAbsLogit,
  maxQueriesPerCiphertext,
  quantize,
  queryStride,
  reconstructLogits,
  scatterPackedShare,
  type QuantizedLinearHead,
} from './bfv-linear.js';
import { HeContext } from './he-context.js';
import type { HeKeyPair } from './he-keys.js';
import { BFV_4096, BFV_8192 } from './he-parameters.js';
import { withSealScope } from './seal-scope.js';
import { loadSealRuntime, type SealRuntime } from './seal-runtime.js';

// Timings are measured in one test; set CONCLAVE_CRYPTO_TIMINGS=1 to print them.
const log: (...args: unknown[]) => void = process.env.CONCLAVE_CRYPTO_TIMINGS ? console.log : () => undefined;

function expectCode(fn: () => unknown, code: CryptoErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

function randomHead(rng: Rng, classes: number, features: number, maxAbsFeature = 127): QuantizedLinearHead {
  return {
    classes,
    features,
    weights: Int32Array.from({ length: classes * features }, () => rng.randomBelow(255) - 127),
    bias: Int32Array.from({ length: classes }, () => rng.randomBelow(200_001) - 100_000),
    maxAbsFeature,
  };
}

function randomFeatures(rng: Rng, features: number, maxAbs = 127): Int32Array {
  return Int32Array.from({ length: features }, () => rng.randomBelow(2 * maxAbs + 1) - maxAbs);
}

/** Every coefficient of the querying party's decryption (not only the logits). */
function decryptAll(context: HeContext, keys: HeKeyPair, response: Uint8Array): Uint32Array {
  return withSealScope(context.runtime, (scope) => {
    const ct = context.importCiphertext(scope, response);
    return context.readBfvPlaintext(scope.track(keys.decryptor.decrypt(ct) as PlainText));
  });
}

let runtime: SealRuntime;
let small: HeContext;
let large: HeContext;
let smallKeys: HeKeyPair;
let largeKeys: HeKeyPair;

beforeAll(async () => {
  runtime = await loadSealRuntime();
  small = await HeContext.create(BFV_4096, runtime);
  large = await HeContext.create(BFV_8192, runtime);
  smallKeys = small.generateKeys();
  largeKeys = large.generateKeys();
});

afterAll(() => {
  smallKeys.dispose();
  largeKeys.dispose();
  small.dispose();
  large.dispose();
  expect(runtime.liveObjects).toBe(0);
});

describe('BFV coefficient-encoded linear heads (CaPC)', () => {
  it('reconstruct the exact logits from the two shares (BFV_4096, random inputs incl. negative and extreme)', () => {
    const rng = new SeededRng('bfv-exact-4096');
    const head = randomHead(rng, 10, 128);
    const teacher = BfvLinearTeacher.prepare(small, head, { floodingSecurityBits: 0 });
    const client = new BfvLinearClient(smallKeys, head, head.maxAbsFeature);
    const publicKey = small.importPublicKey(smallKeys.publicKey.export());
    const inputs = [
      new Int32Array(128).fill(127),
      new Int32Array(128).fill(-127),
      new Int32Array(128),
      ...Array.from({ length: 12 }, () => randomFeatures(rng, 128)),
    ];
    for (const x of inputs) {
      const { response, share } = teacher.evaluate(client.encryptQuery(x), publicKey, { rng });
      expect(reconstructLogits(small.plainModulus!, client.decryptShare(response), share)).toEqual(
        linearLogits(head, x),
      );
    }
    expect(teacher.responsePrimes).toBe(2);
    teacher.dispose();
    publicKey.dispose();
  });

  it('with 40-bit noise flooding (BFV_8192) stay exact and keep noise budget; responses are switched down', () => {
    const rng = new SeededRng('bfv-exact-8192');
    const head = randomHead(rng, 10, 300);
    const teacher = BfvLinearTeacher.prepare(large, head);
    expect(teacher.floodingBits).toBeGreaterThan(80);
    expect(teacher.responsePrimes).toBe(2);
    const client = new BfvLinearClient(largeKeys, head, head.maxAbsFeature);
    for (let i = 0; i < 4; i++) {
      const x = i === 0 ? new Int32Array(300).fill(-127) : randomFeatures(rng, 300);
      const { response, share } = teacher.evaluate(client.encryptQuery(x), largeKeys.publicKey, { rng });
      expect(response.length).toBe(large.ciphertextBytes(2));
      expect(reconstructLogits(large.plainModulus!, client.decryptShare(response), share)).toEqual(
        linearLogits(head, x),
      );
      const budget = withSealScope(runtime, (scope) =>
        largeKeys.decryptor.invariantNoiseBudget(large.importCiphertext(scope, response) as CipherText),
      );
      expect(budget).toBeGreaterThan(10);
    }
    teacher.dispose();
  });

  it('pack several queries into one ciphertext: every slot exact, full and partial ciphertexts, one response', () => {
    const rng = new SeededRng('bfv-packed-8192');
    const head = randomHead(rng, 10, 64);
    // (k + 1) d - 1 = 703 coefficients per query: 11 fit in N = 8192 (stride 744), 12 do not (stride 682).
    expect(maxQueriesPerCiphertext(8192, head)).toBe(11);
    expect(queryStride(8192, 11)).toBe(744);
    expectCode(() => BfvLinearTeacher.prepare(large, head, { queriesPerCiphertext: 12 }), 'PARAMETERS_INSUFFICIENT');
    expectCode(
      () => new BfvLinearClient(largeKeys, head, 127, { queriesPerCiphertext: 12 }),
      'PARAMETERS_INSUFFICIENT',
    );
    expectCode(() => new BfvLinearClient(largeKeys, head, 127, { queriesPerCiphertext: 0 }), 'INVALID_ARGUMENT');
    const teacher = BfvLinearTeacher.prepare(large, head, { queriesPerCiphertext: 11 });
    expect(teacher.queriesPerCiphertext).toBe(11);
    expect(teacher.floodingBits).toBeGreaterThan(80);
    const client = new BfvLinearClient(largeKeys, head, head.maxAbsFeature, { queriesPerCiphertext: 11 });
    for (const count of [11, 4, 1]) {
      const xs = Array.from({ length: count }, (_, s) =>
        s === 0 ? new Int32Array(64).fill(127) : s === 1 ? new Int32Array(64).fill(-127) : randomFeatures(rng, 64),
      );
      const { response, share } = teacher.evaluate(client.encryptQueries(xs), largeKeys.publicKey, { rng });
      expect(response.length).toBe(large.ciphertextBytes(teacher.responsePrimes));
      const mine = client.decryptShare(response);
      expect(mine.length).toBe(110);
      expect(share.length).toBe(110);
      for (let s = 0; s < 11; s++) {
        // An empty slot answers the bias alone.
        const expected = s < count ? linearLogits(head, xs[s]!) : Array.from(head.bias);
        expect(
          reconstructLogits(
            large.plainModulus!,
            mine.subarray(s * 10, s * 10 + 10),
            share.subarray(s * 10, s * 10 + 10),
          ),
        ).toEqual(expected);
      }
    }
    expectCode(() => client.encryptQueries([]), 'INVALID_ARGUMENT');
    expectCode(() => client.encryptQueries(Array.from({ length: 12 }, () => new Int32Array(64))), 'INVALID_ARGUMENT');
    expectCode(() => client.encryptQueries([new Int32Array(64), new Int32Array(63)]), 'INVALID_ARGUMENT');
    teacher.dispose();
  });

  it('spread a packed share into per-(query, partition) vectors, query-major, skipping empty slots', () => {
    // 3 slots × a group of 2 partitions × 2 classes; the group is partitions 1–2 of 3; slots 0–1 are queries 4–5 of 6.
    const share = Uint32Array.from({ length: 12 }, (_, i) => i + 1);
    const into = new Array<Uint32Array>(6 * 3);
    scatterPackedShare(share, into, {
      firstQuery: 4,
      count: 6,
      queriesPerCiphertext: 3,
      groupSize: 2,
      firstPartition: 1,
      partitions: 3,
      classes: 2,
    });
    expect(into.map((v, i) => (v ? [i, ...v] : null)).filter(Boolean)).toEqual([
      [13, 1, 2], // query 4, partition 1
      [14, 3, 4], // query 4, partition 2
      [16, 5, 6], // query 5, partition 1
      [17, 7, 8], // query 5, partition 2
    ]);
    expect(Array.from(share).every((v) => v === 0)).toBe(true);
  });

  it("make the querying party's decryption uniformly random — logits and every other coefficient (chi-square)", () => {
    const rng = new SeededRng('bfv-uniform');
    const head = randomHead(rng, 10, 64);
    const teacher = BfvLinearTeacher.prepare(small, head, { floodingSecurityBits: 0 });
    const client = new BfvLinearClient(smallKeys, head, head.maxAbsFeature);
    const x = randomFeatures(rng, 64); // one fixed query: any dependence of the shares on it would show
    const truth = linearLogits(head, x);
    const t = small.plainModulus!;
    const field = new PrimeField(t);
    const query = client.encryptQuery(x);
    const logitShares: number[] = [];
    const allCoefficients: number[] = [];
    let matches = 0;
    for (let run = 0; run < 120; run++) {
      const { response } = teacher.evaluate(query, smallKeys.publicKey, { rng });
      const coefficients = decryptAll(small, smallKeys, response);
      const mine = Array.from({ length: 10 }, (_, i) => coefficients[logitCoefficient(head, i)]);
      logitShares.push(...mine);
      if (run < 3) allCoefficients.push(...coefficients);
      matches += mine.filter((v, i) => v === field.fromSigned(truth[i])).length;
    }
    const bins = 32;
    expect(chiSquareUniform(logitShares, t, bins)).toBeLessThan(chiSquareCritical(bins - 1));
    expect(chiSquareUniform(allCoefficients, t, 256)).toBeLessThan(chiSquareCritical(255));
    // No plaintext in any response: the decryption never shows a true logit (chance: 1200 / t ~ 1e-6).
    expect(matches).toBe(0);
    // The test has power: without the mask the decrypted logits would be the (non-uniform) true logits.
    const unmasked = Array.from({ length: 120 }, () => truth.map((v) => field.fromSigned(v))).flat();
    expect(chiSquareUniform(unmasked, t, bins)).toBeGreaterThan(chiSquareCritical(bins - 1));
    teacher.dispose();
  });

  it('use a precomputed response mask exactly once', () => {
    const rng = new SeededRng('bfv-mask');
    const head = randomHead(rng, 3, 16);
    const teacher = BfvLinearTeacher.prepare(small, head, { floodingSecurityBits: 0 });
    const client = new BfvLinearClient(smallKeys, head, head.maxAbsFeature);
    const mask = teacher.createResponseMask(smallKeys.publicKey, rng);
    const x = randomFeatures(rng, 16);
    const { response, share } = teacher.evaluate(client.encryptQuery(x), smallKeys.publicKey, { mask });
    expect(reconstructLogits(small.plainModulus!, client.decryptShare(response), share)).toEqual(linearLogits(head, x));
    expect(mask.used).toBe(true);
    expectCode(() => teacher.evaluate(client.encryptQuery(x), smallKeys.publicKey, { mask }), 'CORRELATION_REUSED');
    const unused = teacher.createResponseMask(smallKeys.publicKey, rng);
    unused.dispose();
    teacher.dispose();
  });

  it('refuse heads that do not fit, logits that could reach t / 4, impossible flooding and foreign keys', () => {
    const rng = new SeededRng('bfv-refuse');
    expectCode(() => BfvLinearTeacher.prepare(small, randomHead(rng, 10, 373)), 'PARAMETERS_INSUFFICIENT');
    const huge: QuantizedLinearHead = { ...randomHead(rng, 2, 8), maxAbsFeature: 2 ** 26 };
    expect(maxAbsLogit(huge)).toBeGreaterThan(small.plainModulus! / 4);
    expectCode(() => BfvLinearTeacher.prepare(small, huge, { floodingSecurityBits: 0 }), 'PARAMETERS_INSUFFICIENT');
    expectCode(() => BfvLinearTeacher.prepare(small, randomHead(rng, 10, 128)), 'PARAMETERS_INSUFFICIENT');
    const teacher = BfvLinearTeacher.prepare(small, randomHead(rng, 2, 8), { floodingSecurityBits: 0 });
    expectCode(() => teacher.createResponseMask(largeKeys.publicKey, rng), 'CONTEXT_MISMATCH');
    const foreignQuery = new BfvLinearClient(largeKeys, { features: 8, classes: 2 }, 127).encryptQuery(
      randomFeatures(rng, 8),
    );
    expectCode(() => teacher.evaluate(foreignQuery, smallKeys.publicKey, { rng }), 'CONTEXT_MISMATCH');
    const truncated = new BfvLinearClient(smallKeys, { features: 8, classes: 2 }, 127)
      .encryptQuery(randomFeatures(rng, 8))
      .subarray(0, 1000);
    expectCode(() => teacher.evaluate(truncated, smallKeys.publicKey, { rng }), 'INVALID_CIPHERTEXT');
    teacher.dispose();
    expect(runtime.failed).toBe(false);
  });

  it('quantize with rounding and clamping', () => {
    expect(Array.from(quantize([0.5, -0.26, 3, -3, 0.011], 10, 20))).toEqual([5, -3, 20, -20, 0]);
    expectCode(() => quantize([Number.NaN], 10, 20), 'INVALID_ARGUMENT');
  });

  it('feed the secure argmax directly: shares of a one-hot vote equal to the plaintext argmax', () => {
    const rng = new SeededRng('bfv-argmax');
    const t = small.plainModulus!;
    const field = new PrimeField(t);
    const heads = [randomHead(rng, 10, 32), randomHead(rng, 10, 32), randomHead(rng, 10, 32)];
    const teachers = heads.map((head) => BfvLinearTeacher.prepare(small, head, { floodingSecurityBits: 0 }));
    const client = new BfvLinearClient(smallKeys, heads[0], 127);
    const x = randomFeatures(rng, 32);
    const querySide: Uint32Array[] = [];
    const teacherSide: Uint32Array[] = [];
    const expected = new Array<number>(10).fill(0);
    teachers.forEach((teacher, i) => {
      const { response, share } = teacher.evaluate(client.encryptQuery(x), smallKeys.publicKey, { rng });
      const [c0, c1] = dealArgmaxCorrelation({ modulus: t, classes: 10, rng });
      const [q, s] = runArgmaxInMemory(
        new ArgmaxParty({
          party: 0,
          shares: client.decryptShare(response),
          correlation: ArgmaxCorrelation.deserialize(c0.serialize()),
          ledger: new InMemoryCorrelationLedger(),
        }),
        new ArgmaxParty({ party: 1, shares: share, correlation: c1, ledger: new InMemoryCorrelationLedger() }),
      );
      querySide.push(q);
      teacherSide.push(s);
      const logits = linearLogits(heads[i], x);
      expected[logits.indexOf(Math.max(...logits))]++;
    });
    // The guardian adds the teachers' shares and the querying party's share-sum: the vote histogram.
    const histogram = reconstructVector(field, sumShareVectors(field, querySide), sumShareVectors(field, teacherSide));
    expect(Array.from(histogram)).toEqual(expected);
    teachers.forEach((teacher) => teacher.dispose());
  });

  it('free every SEAL object: the WASM heap does not grow across 1,000 operations', () => {
    const rng = new SeededRng('bfv-heap');
    const head = randomHead(rng, 10, 64);
    const teacher = BfvLinearTeacher.prepare(small, head, { floodingSecurityBits: 0 });
    const client = new BfvLinearClient(smallKeys, head, 127);
    const x = randomFeatures(rng, 64);
    let operations = 0;
    const cycle = (): void => {
      const query = client.encryptQuery(x); // 1 operation
      const mask = teacher.createResponseMask(smallKeys.publicKey, rng); // 1
      const { response } = teacher.evaluate(query, smallKeys.publicKey, { mask }); // 1
      client.decryptShare(response); // 1
      small.importPublicKey(smallKeys.publicKey.export()).dispose(); // 1
      operations += 5;
    };
    for (let i = 0; i < 20; i++) cycle(); // warm-up: SEAL's memory pool reaches its working size
    const heap = runtime.heapBytes();
    const live = runtime.liveObjects;
    expect(heap).toBeGreaterThan(0);
    operations = 0;
    while (operations < 1000) cycle();
    expect(runtime.heapBytes()).toBe(heap);
    expect(runtime.liveObjects).toBe(live);
    teacher.dispose();
  });

  it('timings (CPU ms per query) and sizes', () => {
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const rng = new SeededRng('bfv-timing');
    for (const [context, keys, lambda] of [
      [small, smallKeys, 0],
      [large, largeKeys, 40],
    ] as const) {
      const head = randomHead(rng, 10, 128);
      const teacher = BfvLinearTeacher.prepare(context, head, { floodingSecurityBits: lambda });
      const client = new BfvLinearClient(keys, head, 127);
      const x = randomFeatures(rng, 128);
      const runs = 20;
      const ms = { encrypt: 0, mask: 0, evaluate: 0, decrypt: 0 };
      let sizes = { query: 0, response: 0 };
      for (let i = 0; i < runs + 2; i++) {
        const warm = i < 2;
        let t0 = cpu();
        const query = client.encryptQuery(x);
        if (!warm) ms.encrypt += cpu() - t0;
        t0 = cpu();
        const mask = teacher.createResponseMask(keys.publicKey);
        if (!warm) ms.mask += cpu() - t0;
        t0 = cpu();
        const { response } = teacher.evaluate(query, keys.publicKey, { mask });
        if (!warm) ms.evaluate += cpu() - t0;
        t0 = cpu();
        client.decryptShare(response);
        if (!warm) ms.decrypt += cpu() - t0;
        sizes = { query: query.length, response: response.length };
      }
      for (const key of Object.keys(ms) as (keyof typeof ms)[]) ms[key] = Math.round((ms[key] / runs) * 100) / 100;
      log(`BFV N=${context.degree} flooding=${lambda}`, ms, sizes, {
        publicKey: keys.publicKey.export().length,
      });
      expect(sizes.response).toBe(context.ciphertextBytes(teacher.responsePrimes));
      teacher.dispose();
    }
  });
});
