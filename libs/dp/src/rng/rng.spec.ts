import { describe, expect, it } from '@jest/globals';
import { DpError } from '../errors/dp-error.js';
import { CryptoRng } from './crypto-rng.js';
import type { Rng } from './rng.js';
import { SeededRng } from './seeded-rng.js';

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(DpError);
  expect((thrown as DpError).code).toBe(code);
}

describe('SeededRng', () => {
  it('is reproducible: the same seed gives the same stream, across chunk refills', () => {
    const a = new SeededRng('conclave', 16);
    const b = new SeededRng('conclave', 1024);
    expect(draw(a, 100)).toEqual(draw(b, 100));
  });

  it('pins its stream, so a change of construction is noticed (AES-256-CTR under SHA-256(domain || seed))', () => {
    expect(draw(new SeededRng('conclave'), 4)).toEqual(PINNED_FIRST_WORDS);
  });

  it('gives different streams for different seeds and seed types', () => {
    const streams = [
      new SeededRng(1),
      new SeededRng(2),
      new SeededRng(1n),
      new SeededRng('1'),
      new SeededRng(new Uint8Array([1])),
    ].map((r) => draw(r, 4).join(','));
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('says it is deterministic; CryptoRng says it is not', () => {
    expect(new SeededRng(0).deterministic).toBe(true);
    expect(new CryptoRng().deterministic).toBe(false);
  });

  it('rejects a non-finite seed', () => {
    expectCode(() => new SeededRng(NaN), 'INVALID_ARGUMENT');
  });
});

describe.each([
  ['SeededRng', () => new SeededRng('rng-contract')],
  ['CryptoRng', () => new CryptoRng()],
])('%s contract', (_name, make) => {
  it('nextUint32 covers [0, 2^32) with balanced high and low bits', () => {
    const rng = make();
    const n = 64_000;
    let high = 0;
    let low = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextUint32();
      if (!(Number.isInteger(u) && u >= 0 && u < 2 ** 32)) outOfRange++;
      high += u >>> 31;
      low += u & 1;
    }
    expect(outOfRange).toBe(0);
    const se = Math.sqrt(n / 4);
    expect(Math.abs(high - n / 2)).toBeLessThan(5 * se);
    expect(Math.abs(low - n / 2)).toBeLessThan(5 * se);
  });

  it('nextUniform is in the open interval (0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = make();
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextUniform();
      if (!(x > 0 && x < 1)) outOfRange++;
      s += x;
      s2 += x * x;
    }
    expect(outOfRange).toBe(0);
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('nextBoolean is fair', () => {
    const rng = make();
    const n = 100_000;
    let heads = 0;
    for (let i = 0; i < n; i++) if (rng.nextBoolean()) heads++;
    expect(Math.abs(heads - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
  });

  it('randomInt is uniform on a small range (chi-square)', () => {
    const rng = make();
    const k = 7;
    const n = 70_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) counts[rng.randomInt(k)]++;
    const expected = n / k;
    const chi2 = counts.reduce((acc, c) => acc + ((c - expected) * (c - expected)) / expected, 0);
    expect(chi2).toBeLessThan(35); // chi-square(6) quantile far beyond 1 - 1e-6
  });

  it('randomInt has no modulo bias where naive u % n would be badly biased (n = 3 * 2^30)', () => {
    // With u % n, values below 2^32 - n = 2^30 would be twice as likely: P[x < 2^30] = 1/2 instead of 1/3.
    const rng = make();
    const n = 30_000;
    let small = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.randomInt(3 * 2 ** 30);
      if (!(Number.isInteger(x) && x >= 0 && x < 3 * 2 ** 30)) outOfRange++;
      if (x < 2 ** 30) small++;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(small / n - 1 / 3)).toBeLessThan(5 * Math.sqrt(2 / 9 / n));
  });

  it('randomInt handles ranges above 2^32 and exactly 1 and 2^53', () => {
    const rng = make();
    expect(rng.randomInt(1)).toBe(0);
    const big = 3 * 2 ** 50 + 7;
    let s = 0;
    const n = 20_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.randomInt(big);
      if (!(Number.isInteger(x) && x >= 0 && x < big)) outOfRange++;
      s += x / big;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    const y = rng.randomInt(2 ** 53);
    expect(Number.isInteger(y) && y >= 0 && y < 2 ** 53).toBe(true);
  });

  it('randomInt rejects invalid bounds with INVALID_ARGUMENT', () => {
    const rng = make();
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53 + 2])
      expectCode(() => rng.randomInt(bad), 'INVALID_ARGUMENT');
  });

  it('nextBigUint and randomBigInt stay in range and are uniform', () => {
    const rng = make();
    for (const bits of [0, 1, 31, 32, 33, 64, 100]) {
      for (let i = 0; i < 50; i++) {
        const x = rng.nextBigUint(bits);
        expect(x >= 0n && x < 1n << BigInt(bits)).toBe(true);
      }
    }
    const m = 5n;
    const counts = [0, 0, 0, 0, 0];
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[Number(rng.randomBigInt(m))]++;
    const chi2 = counts.reduce((acc, c) => acc + ((c - n / 5) * (c - n / 5)) / (n / 5), 0);
    expect(chi2).toBeLessThan(30);
    const huge = (1n << 200n) + 12345n;
    for (let i = 0; i < 50; i++) expect(rng.randomBigInt(huge) < huge).toBe(true);
    expect(rng.randomBigInt(1n)).toBe(0n);
    expectCode(() => rng.randomBigInt(0n), 'INVALID_ARGUMENT');
    expectCode(() => rng.nextBigUint(-1), 'INVALID_ARGUMENT');
  });

  it('bernoulli(p) has frequency p, including tiny and non-dyadic p', () => {
    const rng = make();
    const n = 100_000;
    for (const p of [0.3, 0.5, 0.999, 1e-3, 1 / 3]) {
      let hits = 0;
      for (let i = 0; i < n; i++) if (rng.bernoulli(p)) hits++;
      expect(Math.abs(hits - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)) + 1);
    }
    expect(rng.bernoulli(0)).toBe(false);
    expect(rng.bernoulli(1)).toBe(true);
    expect(rng.bernoulli(Number.MIN_VALUE)).toBe(false); // 2^-1074: true with that probability only
    for (const bad of [-0.1, 1.1, NaN]) expectCode(() => rng.bernoulli(bad), 'INVALID_ARGUMENT');
  });

  it('bernoulli near 1 (1 - 2^-33, decided on the second word) is almost always true', () => {
    const rng = make();
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (rng.bernoulli(1 - 2 ** -33)) hits++;
    expect(hits).toBeGreaterThanOrEqual(19_999);
  });
});

// Checked independently: openssl enc -aes-256-ctr -K $(printf '<domain>string:conclave' | sha256sum) on zeros, read as little-endian words.
const PINNED_FIRST_WORDS: number[] = [2222493636, 3982086454, 1965941244, 249492488];
