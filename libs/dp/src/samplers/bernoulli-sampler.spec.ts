import { describe, expect, it } from '@jest/globals';
import { DpError } from '../errors/dp-error.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { sampleBernoulliRational, sampleBernoulliRatio, sampleBernoulliRatioBig } from './bernoulli-sampler.js';
import {
  sampleBernoulliExp,
  sampleBernoulliExpMinusOne,
  sampleBernoulliExpRational,
  sampleBernoulliExpRatio,
  sampleBernoulliExpRatioBig,
} from './bernoulli-exp-sampler.js';
import { Z_CRITICAL } from './goodness-of-fit.testing.js';

function frequency(n: number, trial: () => boolean): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (trial()) hits++;
  return hits / n;
}

function expectClose(freq: number, p: number, n: number): void {
  expect(Math.abs(freq - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
}

describe('sampleBernoulliRatio (exact rational Bernoulli)', () => {
  const n = 100_000;

  it.each([
    [1, 3],
    [2, 7],
    [999_999, 1_000_000],
    [5_000_000, 12_345_678], // den > 2^21: narrower chunks
    [2 ** 40 + 1, 3 * 2 ** 40], // den > 2^37: randomInt fallback
  ])('Bernoulli(%d / %d) has the right frequency', (num, den) => {
    const rng = new SeededRng(`ratio-${num}-${den}`);
    expectClose(
      frequency(n, () => sampleBernoulliRatio(rng, num, den)),
      num / den,
      n,
    );
  });

  it('bigint arguments, including denominators beyond 2^53', () => {
    const rng = new SeededRng('ratio-big');
    const den = (1n << 80n) + 1n;
    const num = den / 3n;
    expectClose(
      frequency(n, () => sampleBernoulliRatioBig(rng, num, den)),
      1 / 3,
      n,
    );
    expectClose(
      frequency(n, () => sampleBernoulliRatioBig(rng, 3n, 4n)),
      0.75,
      n,
    );
  });

  it('edges: 0 is never, num >= den is always', () => {
    const rng = new SeededRng('ratio-edges');
    expect(sampleBernoulliRatio(rng, 0, 5)).toBe(false);
    expect(sampleBernoulliRatio(rng, 5, 5)).toBe(true);
    expect(sampleBernoulliRational(rng, 7n, 5)).toBe(true);
  });

  it('sampleBernoulliRational validates with INVALID_ARGUMENT', () => {
    const rng = new SeededRng('ratio-invalid');
    for (const [num, den] of [
      [1.5, 3],
      [-1, 3],
      [1, 0],
      [1n, 0n],
      [Number.NaN, 2],
    ] as const) {
      expect(() => sampleBernoulliRational(rng, num, den)).toThrow(DpError);
    }
  });
});

describe('Bernoulli(exp(-gamma)) (Canonne-Kamath-Steinke 2020, Algorithm 1)', () => {
  const n = 100_000;

  it('exp(-1)', () => {
    const rng = new SeededRng('exp-minus-one');
    expectClose(
      frequency(n, () => sampleBernoulliExpMinusOne(rng)),
      Math.exp(-1),
      n,
    );
  });

  it.each([
    [0, 1],
    [1, 3],
    [3, 4],
    [5, 2],
    [7, 1],
    [41, 41],
    [1_234_567, 5_379_200],
  ])('rational gamma = %d / %d', (num, den) => {
    const rng = new SeededRng(`exp-${num}-${den}`);
    expectClose(
      frequency(n, () => sampleBernoulliExpRatio(rng, num, den)),
      Math.exp(-num / den),
      n,
    );
  });

  it('bigint gamma, beyond the exact range of doubles', () => {
    const rng = new SeededRng('exp-big');
    const den = (1n << 70n) + 3n;
    const num = (den * 7n) / 10n;
    expectClose(
      frequency(n, () => sampleBernoulliExpRatioBig(rng, num, den)),
      Math.exp(-0.7),
      n,
    );
  });

  it('real gamma taken as its exact dyadic value; Infinity never, 0 always', () => {
    const rng = new SeededRng('exp-real');
    for (const gamma of [0.1, Math.PI, 1e-9])
      expectClose(
        frequency(n, () => sampleBernoulliExp(rng, gamma)),
        Math.exp(-gamma),
        n,
      );
    expect(sampleBernoulliExp(rng, Infinity)).toBe(false);
    expect(sampleBernoulliExp(rng, 0)).toBe(true);
    for (const bad of [-1, Number.NaN]) expect(() => sampleBernoulliExp(rng, bad)).toThrow(DpError);
  });

  it('the validated entry point takes numbers or bigints and rejects the rest', () => {
    const rng = new SeededRng('exp-validated');
    expectClose(
      frequency(n, () => sampleBernoulliExpRational(rng, 1n << 60n, 3n << 60n)),
      Math.exp(-1 / 3),
      n,
    );
    expect(sampleBernoulliExpRational(rng, 0, 7)).toBe(true);
    for (const [num, den] of [
      [-1, 2],
      [1, 0],
      [0.5, 2],
      [2 ** 60, 3],
    ] as const) {
      expect(() => sampleBernoulliExpRational(rng, num, den)).toThrow(DpError);
    }
  });

  it('a huge gamma ends quickly (each exp(-1) factor fails with probability 1 - 1/e)', () => {
    const rng = new SeededRng('exp-huge');
    expect(frequency(1000, () => sampleBernoulliExpRatio(rng, 2 ** 52, 1))).toBe(0);
  });
});
