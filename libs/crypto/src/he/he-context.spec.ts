import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CryptoError, isCryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { BfvLinearClient } from './bfv-linear.js';
import { HeContext } from './he-context.js';
import {
  BFV_4096,
  BFV_8192,
  CKKS_16384,
  CKKS_8192,
  decodeHeParameters,
  encodeHeParameters,
  heContextId,
  heParametersFromJson,
  heParametersToJson,
  type HeParameters,
} from './he-parameters.js';
import { withSealScope } from './seal-scope.js';
import { loadSealRuntime, type SealRuntime } from './seal-runtime.js';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectCode(fn: () => unknown, code: CryptoErrorCode): void {
  const e = caught(fn);
  expect(e).toBeInstanceOf(CryptoError);
  expect((e as CryptoError).code).toBe(code);
}

let runtime: SealRuntime;
let small: HeContext;
let large: HeContext;

beforeAll(async () => {
  runtime = await loadSealRuntime();
  small = await HeContext.create(BFV_4096, runtime);
  large = await HeContext.create(BFV_8192, runtime);
});

afterAll(() => {
  small.dispose();
  large.dispose();
});

describe('HE parameters', () => {
  it("are SEAL's own choices (BFVDefault, PlainModulus.Batching, CoeffModulus.Create), written out", () => {
    const { seal } = runtime;
    const primesOf = (scheme: 'bfv' | 'ckks', N: number, make: () => ReturnType<typeof seal.CoeffModulus.Create>) =>
      withSealScope(runtime, (scope) => {
        const parms = scope.track(
          seal.EncryptionParameters(scheme === 'bfv' ? seal.SchemeType.bfv : seal.SchemeType.ckks),
        );
        parms.setPolyModulusDegree(N);
        parms.setCoeffModulus(scope.track(make()));
        return Array.from(parms.coeffModulus);
      });
    expect(primesOf('bfv', 4096, () => seal.CoeffModulus.BFVDefault(4096))).toEqual(BFV_4096.coeffModulus);
    expect(primesOf('bfv', 8192, () => seal.CoeffModulus.BFVDefault(8192))).toEqual(BFV_8192.coeffModulus);
    expect(primesOf('ckks', 8192, () => seal.CoeffModulus.Create(8192, Int32Array.from([60, 40, 40, 60])))).toEqual(
      CKKS_8192.coeffModulus,
    );
    expect(
      primesOf('ckks', 16384, () => seal.CoeffModulus.Create(16384, Int32Array.from([60, 60, 40, 40, 40, 60]))),
    ).toEqual(CKKS_16384.coeffModulus);
    for (const N of [4096, 8192]) {
      const t = withSealScope(runtime, (scope) => scope.track(seal.PlainModulus.Batching(N, 30)).value);
      expect(t).toBe(BFV_4096.plainModulus);
    }
  });

  it('round-trip through bytes and JSON, and the context id tells parameter sets apart', () => {
    for (const params of [BFV_4096, BFV_8192, CKKS_8192, CKKS_16384]) {
      expect(decodeHeParameters(encodeHeParameters(params))).toEqual(params);
      expect(heParametersFromJson(JSON.parse(JSON.stringify(heParametersToJson(params))))).toEqual(params);
    }
    const ids = new Set([BFV_4096, BFV_8192, CKKS_8192, CKKS_16384].map(heContextId));
    expect(ids.size).toBe(4);
    expect(small.id).toBe(heContextId(BFV_4096));
  });

  it('are refused when malformed, not batching, or below 128-bit security', async () => {
    const bad: HeParameters[] = [
      { ...BFV_4096, polyModulusDegree: 2048 },
      { ...BFV_4096, plainModulus: 65537n * 3n },
      { ...BFV_4096, plainModulus: 1n << 33n },
      { ...BFV_4096, coeffModulus: [BFV_4096.coeffModulus[0]] },
      { ...CKKS_8192, plainModulus: 7n },
    ];
    for (const params of bad) expectCode(() => encodeHeParameters(params), 'INVALID_PARAMETERS');
    // 3 x 60 bits exceeds the 109 bits that N = 4096 allows at 128-bit security: SEAL refuses it.
    const insecure: HeParameters = { ...CKKS_8192, polyModulusDegree: 4096 };
    const e = await HeContext.create(insecure, runtime).catch((error: unknown) => error);
    expect(isCryptoError(e, 'INVALID_PARAMETERS')).toBe(true);
    // A plain modulus that is prime but not 1 mod 2N: no batching.
    const nonBatching: HeParameters = { ...BFV_4096, plainModulus: 1073741827n };
    expectCode(() => encodeHeParameters(nonBatching), 'INVALID_PARAMETERS');
    expectCode(() => decodeHeParameters(new Uint8Array(10)), 'INVALID_PARAMETERS');
    expect(runtime.failed).toBe(false);
  });
});

describe('HeContext.shared', () => {
  it('gives one context per parameter set for the whole process, which dispose() does not free', async () => {
    const [a, b, other] = await Promise.all([
      HeContext.shared(BFV_4096),
      HeContext.shared(heParametersFromJson(heParametersToJson(BFV_4096))),
      HeContext.shared(BFV_8192),
    ]);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(other.id).toBe(heContextId(BFV_8192));
    a.dispose();
    const keys = a.generateKeys(); // still usable: a shared context outlives its callers
    expect(keys.context).toBe(a);
    keys.dispose();
    expect(await HeContext.shared(BFV_4096)).toBe(a);
  });
});

describe('keys', () => {
  it('export and import: a query encrypted under re-imported keys decrypts', () => {
    const keys = small.generateKeys();
    const publicKey = keys.publicKey.export();
    const secretKey = keys.exportSecretKey();
    expect(publicKey.length).toBeLessThan(small.ciphertextBytes(small.keyPrimes) * 0.6); // seeded: about half
    const again = small.importKeyPair({ publicKey, secretKey });
    expect(Array.from(again.exportSecretKey())).toEqual(Array.from(secretKey));
    const shape = { features: 2, classes: 1 }; // logit 0 sits at coefficient 1 = x_1
    const seeded = new BfvLinearClient(keys, shape, 100).encryptQuery([5, -7]);
    const full = withSealScope(runtime, (scope) =>
      small.exportCiphertext(small.importCiphertext(scope, seeded, { seeded: true })),
    );
    expect(Array.from(new BfvLinearClient(again, shape, 100).decryptShare(full))).toEqual([small.plainModulus! - 7]);
    expect(Array.from(again.publicKey.export())).toEqual(Array.from(publicKey));
    keys.dispose();
    again.dispose();
  });

  it('of another context are refused with CONTEXT_MISMATCH; corrupt ones with INVALID_KEY', () => {
    const keys = large.generateKeys();
    expectCode(() => small.importPublicKey(keys.publicKey.export()), 'CONTEXT_MISMATCH');
    expectCode(
      () => small.importKeyPair({ publicKey: keys.publicKey.export(), secretKey: keys.exportSecretKey() }),
      'CONTEXT_MISMATCH',
    );
    const pk = keys.publicKey.export();
    expectCode(() => large.importPublicKey(pk.subarray(0, pk.length - 1)), 'INVALID_KEY');
    const outOfRange = pk.slice();
    outOfRange.fill(0xff, 48, 48 + 6); // first coefficient = 2^48 - 1 > q_0
    expectCode(() => large.importPublicKey(outOfRange), 'INVALID_KEY');
    const wrongKind = pk.slice();
    wrongKind[5] = 1;
    expectCode(() => large.importPublicKey(wrongKind), 'INVALID_KEY');
    keys.dispose();
  });
});

describe('ciphertexts from the wire', () => {
  it('of another context are refused with CONTEXT_MISMATCH, forged ids with INVALID_CIPHERTEXT', () => {
    const keys = large.generateKeys();
    const query = new BfvLinearClient(keys, { features: 4, classes: 2 }, 10).encryptQuery([1, 2, 3, 4]);
    withSealScope(runtime, (scope) => {
      expectCode(() => small.importCiphertext(scope, query, { seeded: true }), 'CONTEXT_MISMATCH');
      const forged = query.slice();
      for (let i = 0; i < 32; i++) forged[8 + i] = parseInt(small.id.slice(2 * i, 2 * i + 2), 16);
      expectCode(() => small.importCiphertext(scope, forged, { seeded: true }), 'INVALID_CIPHERTEXT');
      expectCode(() => large.importCiphertext(scope, query), 'INVALID_CIPHERTEXT'); // seeded not accepted here
    });
    keys.dispose();
  });

  it('never crash the runtime: truncated, extended, random or bit-flipped input gives a typed error or loads', () => {
    const keys = small.generateKeys();
    const client = new BfvLinearClient(keys, { features: 8, classes: 3 }, 100);
    const seeded = client.encryptQuery([1, -2, 3, -4, 5, -6, 7, -8]);
    const full = withSealScope(runtime, (scope) =>
      small.exportCiphertext(small.importCiphertext(scope, seeded, { seeded: true })),
    );
    const rng = new SeededRng('fuzz');
    const variants: Uint8Array[] = [new Uint8Array(0), new Uint8Array(47), new Uint8Array(5000)];
    for (const good of [seeded, full]) {
      for (const length of [1, 47, 48, 49, 100, good.length - 65, good.length - 1, good.length + 1]) {
        const v = new Uint8Array(Math.max(0, length));
        v.set(good.subarray(0, Math.min(length, good.length)));
        variants.push(v);
      }
      for (let i = 0; i < 150; i++) {
        const v = good.slice();
        const flips = 1 + rng.randomBelow(4);
        for (let f = 0; f < flips; f++) {
          const at = i % 3 === 0 ? rng.randomBelow(48) : rng.randomBelow(v.length);
          v[at] ^= 1 << rng.randomBelow(8);
        }
        variants.push(v);
      }
      const random = new Uint8Array(good.length);
      rng.fillBytes(random);
      random.set(good.subarray(0, 48));
      variants.push(random);
    }
    const outcomes = new Map<string, number>();
    for (const bytes of variants) {
      withSealScope(runtime, (scope) => {
        const e = caught(() => small.importCiphertext(scope, bytes, { seeded: true }));
        const key = e === undefined ? 'loaded' : isCryptoError(e) ? e.code : `untyped ${String(e)}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      });
    }
    expect([...outcomes.keys()].every((k) => ['loaded', 'INVALID_CIPHERTEXT', 'CONTEXT_MISMATCH'].includes(k))).toBe(
      true,
    );
    expect(outcomes.get('INVALID_CIPHERTEXT')).toBeGreaterThan(100);
    expect(runtime.failed).toBe(false);
    // The runtime still works.
    expect(client.encryptQuery([0, 0, 0, 0, 0, 0, 0, 1]).length).toBe(seeded.length);
    keys.dispose();
  });

  it('refuse coefficients that are not reduced modulo their prime', () => {
    const keys = small.generateKeys();
    const query = new BfvLinearClient(keys, { features: 2, classes: 1 }, 1).encryptQuery([1, 0]);
    const tampered = query.slice();
    tampered.fill(0xff, 48 + 5 * 100, 48 + 5 * 101); // coefficient 100 of q_0 := 2^40 - 1 > q_0
    withSealScope(runtime, (scope) =>
      expectCode(() => small.importCiphertext(scope, tampered, { seeded: true }), 'INVALID_CIPHERTEXT'),
    );
    keys.dispose();
  });

  it('are refused by a disposed context', async () => {
    const ctx = await HeContext.create(BFV_4096, runtime);
    ctx.dispose();
    expectCode(() => ctx.generateKeys(), 'DISPOSED');
  });
});
