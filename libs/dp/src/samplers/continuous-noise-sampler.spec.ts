import { describe, expect, it } from '@jest/globals';
import { DpError } from '../errors/dp-error.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { sampleGaussian, sampleLaplace } from './continuous-noise-sampler.js';
import { meanAndVariance, Z_CRITICAL } from './goodness-of-fit.testing.js';

function fractionWithin(xs: Float64Array, bound: number): number {
  let k = 0;
  for (const x of xs) if (Math.abs(x) < bound) k++;
  return k / xs.length;
}

describe('continuous noise (float path)', () => {
  const n = 200_000;

  it('Gaussian: mean 0, variance sigma^2, 68.27% / 95.45% within 1 / 2 sigma', () => {
    const rng = new SeededRng('gauss');
    const sigma = 3;
    const xs = new Float64Array(n).map(() => sampleGaussian(rng, sigma));
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean)).toBeLessThan(Z_CRITICAL * sigma * Math.sqrt(1 / n));
    expect(Math.abs(variance / (sigma * sigma) - 1)).toBeLessThan(Z_CRITICAL * Math.sqrt(2 / n));
    for (const [k, p] of [
      [1, 0.682689492137],
      [2, 0.954499736104],
    ]) {
      expect(Math.abs(fractionWithin(xs, k * sigma) - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('Laplace: mean 0, variance 2 b^2, P(|X| < b) = 1 - 1/e', () => {
    const rng = new SeededRng('laplace');
    const b = 2;
    const xs = new Float64Array(n).map(() => sampleLaplace(rng, b));
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean)).toBeLessThan(Z_CRITICAL * Math.sqrt((2 * b * b) / n));
    expect(Math.abs(variance / (2 * b * b) - 1)).toBeLessThan(Z_CRITICAL * Math.sqrt(5 / n));
    const p = 1 - Math.exp(-1);
    expect(Math.abs(fractionWithin(xs, b) - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n));
  });

  it('rejects non-positive or non-finite scales', () => {
    const rng = new SeededRng('bad');
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      expect(() => sampleGaussian(rng, bad)).toThrow(DpError);
      expect(() => sampleLaplace(rng, bad)).toThrow(DpError);
    }
  });
});
