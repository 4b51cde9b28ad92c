import { describe, expect, it } from '@jest/globals';
import { isCryptoError } from '../errors/crypto-error.js';
import { chiSquareCritical, chiSquareUniform } from '../testing/chi-square.js';
import { CryptoRng } from './crypto-rng.js';
import { SeededRng } from './seeded-rng.js';

describe('SeededRng', () => {
  it('is reproducible and seed-sensitive', () => {
    const draw = (seed: string | Uint8Array): number[] => {
      const rng = new SeededRng(seed);
      return Array.from({ length: 5000 }, () => rng.nextUint32());
    };
    expect(draw('a')).toEqual(draw('a'));
    expect(draw('a')).not.toEqual(draw('b'));
    expect(draw('a')).not.toEqual(draw(new TextEncoder().encode('a')));
  });
});

describe.each([
  ['SeededRng', () => new SeededRng('rng-contract')],
  ['CryptoRng', () => new CryptoRng()],
])('%s', (_name, make) => {
  it('randomBelow stays in range and is uniform (chi-square), also for a non-power-of-two bound', () => {
    const rng = make();
    const p = 1073692673;
    const samples = Array.from({ length: 40_000 }, () => rng.randomBelow(p));
    expect(samples.every((v) => Number.isInteger(v) && v >= 0 && v < p)).toBe(true);
    expect(chiSquareUniform(samples, p, 64)).toBeLessThan(chiSquareCritical(63));
    const small = Array.from({ length: 30_000 }, () => rng.randomBelow(3));
    expect(chiSquareUniform(small, 3, 3)).toBeLessThan(chiSquareCritical(2));
    expect(rng.randomBelow(1)).toBe(0);
    expect(rng.randomBelow(2 ** 32)).toBeLessThan(2 ** 32);
  });

  it('fillBelow draws exactly what successive randomBelow calls draw, across chunk refills and mixed calls', () => {
    for (const bound of [3, 1073692673, 2 ** 31 + 11, 2 ** 32]) {
      const one = new SeededRng(`fill-${bound}`);
      const bulk = new SeededRng(`fill-${bound}`);
      const expected = [one.nextUint32(), ...Array.from({ length: 9000 }, () => one.randomBelow(bound))];
      const first = bulk.nextUint32();
      const a = new Uint32Array(4000);
      const b = new Uint32Array(5000);
      bulk.fillBelow(a, bound);
      bulk.fillBelow(b, bound);
      expect([first, ...a, ...b]).toEqual(expected);
      expect(bulk.nextUint32()).toBe(one.nextUint32());
    }
    expect(() => new SeededRng('x').fillBelow(new Uint32Array(1), 0)).toThrow();
  });

  it('refuses bounds outside [1, 2^32]', () => {
    const rng = make();
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
      expect(() => rng.randomBelow(bad)).toThrow();
      try {
        rng.randomBelow(bad);
      } catch (e) {
        expect(isCryptoError(e, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
  });
});
