import { describe, expect, it } from '@jest/globals';
import { isCryptoError } from '../errors/crypto-error.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { chiSquareCritical, chiSquareUniform } from '../testing/chi-square.js';
import { reconstructVector, shareVector, sumShareVectors } from './additive-sharing.js';
import { PrimeField } from './prime-field.js';

const T = 1073692673; // the BFV plain modulus of BFV_4096 / BFV_8192

describe('PrimeField', () => {
  it('multiplies exactly (checked against bigint), including the largest elements', () => {
    const rng = new SeededRng('field');
    for (const p of [T, 4294967291, 65537, 3]) {
      const field = new PrimeField(p);
      const values = [0, 1, p - 1, p - 2, Math.floor(p / 2), ...Array.from({ length: 2000 }, () => rng.randomBelow(p))];
      for (let i = 0; i < values.length; i++) {
        const a = values[i];
        const b = values[(i * 7 + 3) % values.length];
        expect(field.mul(a, b)).toBe(Number((BigInt(a) * BigInt(b)) % BigInt(p)));
      }
      expect(field.add(p - 1, p - 1)).toBe(p - 2);
      expect(field.sub(0, 1)).toBe(p - 1);
      expect(field.neg(0)).toBe(0);
    }
  });

  it('sums three products exactly (dot3, checked against bigint), for the largest primes and elements too', () => {
    const rng = new SeededRng('field-dot3');
    for (const p of [T, 4294967291, 65537, 3]) {
      const field = new PrimeField(p);
      const samples = [
        [p - 1, p - 1, p - 1, p - 1, p - 1, p - 1],
        [0, p - 1, p - 1, 0, 1, 1],
        ...Array.from({ length: 2000 }, () => Array.from({ length: 6 }, () => rng.randomBelow(p))),
      ];
      for (const [a, b, c, d, e, f] of samples as Array<[number, number, number, number, number, number]>) {
        const expected = (BigInt(a) * BigInt(b) + BigInt(c) * BigInt(d) + BigInt(e) * BigInt(f)) % BigInt(p);
        expect(field.dot3(a, b, c, d, e, f)).toBe(Number(expected));
      }
    }
  });

  it('maps signed integers to and from the centred representation', () => {
    const field = new PrimeField(T);
    for (const v of [0, 1, -1, 12345, -12345, (T - 1) / 2, -(T - 1) / 2]) {
      expect(field.toSigned(field.fromSigned(v))).toBe(v);
    }
    expect(field.fromSigned(T)).toBe(0);
  });

  it('accepts only odd primes below 2^32', () => {
    for (const bad of [2, 4, 9, 2 ** 32 + 15, 1.5, -7, 1073692671]) {
      let thrown: unknown;
      try {
        new PrimeField(bad);
      } catch (e) {
        thrown = e;
      }
      expect(isCryptoError(thrown, 'INVALID_ARGUMENT')).toBe(true);
    }
    expect(new PrimeField(BigInt(T)).bitLength).toBe(30);
  });
});

describe('additive sharing over Z_t', () => {
  it('reconstructs, and each share alone is uniform whatever the secret (chi-square)', () => {
    const field = new PrimeField(T);
    const rng = new SeededRng('sharing');
    const secret = Array.from({ length: 16 }, (_, i) => field.fromSigned(i - 8));
    const firsts: number[] = [];
    const seconds: number[] = [];
    for (let run = 0; run < 1000; run++) {
      const [a, b] = shareVector(field, secret, rng);
      expect(Array.from(reconstructVector(field, a, b))).toEqual(secret);
      firsts.push(...a);
      seconds.push(...b);
    }
    expect(chiSquareUniform(firsts, T, 64)).toBeLessThan(chiSquareCritical(63));
    expect(chiSquareUniform(seconds, T, 64)).toBeLessThan(chiSquareCritical(63));
    // The test has power: the secret itself is far from uniform.
    expect(chiSquareUniform(Array.from({ length: 1000 }, () => secret).flat(), T, 64)).toBeGreaterThan(
      chiSquareCritical(63),
    );
  });

  it('sums share vectors entrywise and refuses non-elements', () => {
    const field = new PrimeField(T);
    expect(
      Array.from(
        sumShareVectors(field, [
          [1, T - 1],
          [2, 3],
        ]),
      ),
    ).toEqual([3, 2]);
    let thrown: unknown;
    try {
      shareVector(field, [T], new SeededRng('x'));
    } catch (e) {
      thrown = e;
    }
    expect(isCryptoError(thrown, 'INVALID_ARGUMENT')).toBe(true);
  });
});
