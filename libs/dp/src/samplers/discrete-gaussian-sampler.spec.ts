import { describe, expect, it } from '@jest/globals';
import { DpError } from '../errors/dp-error.js';
import { CryptoRng } from '../rng/crypto-rng.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { DiscreteGaussianSampler, discreteGaussianPmf, discreteGaussianVariance } from './discrete-gaussian-sampler.js';
import { rationalFromDouble, rationalToNumber } from './exact-rational.js';
import { chiSquareAgainstPmf, chiSquareCriticalValue, meanAndVariance, Z_CRITICAL } from './goodness-of-fit.testing.js';

function samples(sampler: DiscreteGaussianSampler, seed: string, n: number): Float64Array {
  const rng = new SeededRng(seed);
  const out = new Float64Array(n);
  sampler.sampleMany(rng, out);
  return out;
}

/** The checks a correct sampler of N_Z(0, sigma^2) passes; returns which failed (used for the negative controls). */
function failedChecks(xs: Float64Array, sigma: number): string[] {
  const n = xs.length;
  const failed: string[] = [];
  const variance = discreteGaussianVariance(sigma);
  const { mean, variance: sampleVariance } = meanAndVariance(xs);
  if (Math.abs(mean) > Z_CRITICAL * Math.sqrt(variance / n)) failed.push('mean');
  // Var of the sample variance ~ mu4 - sigma^4 ~ 2 sigma^4 for a near-Gaussian law.
  if (Math.abs(sampleVariance - variance) > Z_CRITICAL * variance * Math.sqrt(2 / n) + 1e-3) failed.push('variance');
  const { support, probabilities } = discreteGaussianPmf(sigma);
  const { statistic, degreesOfFreedom } = chiSquareAgainstPmf(xs, support, probabilities);
  if (statistic > chiSquareCriticalValue(degreesOfFreedom)) failed.push('chi-square');
  let positive = 0;
  let negative = 0;
  for (const x of xs) {
    if (x > 0) positive++;
    else if (x < 0) negative++;
  }
  if (Math.abs(positive - negative) > Z_CRITICAL * Math.sqrt(positive + negative)) failed.push('symmetry');
  return failed;
}

describe('DiscreteGaussianSampler (Canonne-Kamath-Steinke 2020, Algorithm 3)', () => {
  it.each([
    [0.3, 100_000],
    [0.8, 100_000],
    [2.5, 100_000],
    [40, 200_000],
    [150.5, 100_000],
  ])('sigma = %d: mean 0, exact variance, chi-square against the exact pmf, symmetric', (sigma, n) => {
    const sampler = DiscreteGaussianSampler.fromSigma(sigma);
    expect(failedChecks(samples(sampler, `dg-${sigma}`, n), sigma)).toEqual([]);
  });

  it('a large sigma (20,000: sigma^2 beyond the exact-square range, so small |y| take the BigInt path) has the right moments', () => {
    const sigma = 20_000;
    const n = 40_000;
    const xs = samples(DiscreteGaussianSampler.fromSigma(sigma), 'dg-large', n);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean)).toBeLessThan(Z_CRITICAL * sigma * Math.sqrt(1 / n));
    expect(Math.abs(variance / sigma ** 2 - 1)).toBeLessThan(Z_CRITICAL * Math.sqrt(2 / n));
    expect(xs.every((x) => Number.isInteger(x))).toBe(true);
  });

  it('outputs integers only', () => {
    const xs = samples(DiscreteGaussianSampler.fromSigma(1.7), 'dg-integers', 20_000);
    expect(xs.every((x) => Number.isInteger(x))).toBe(true);
  });

  it('the checks have power: a sigma 3% too large or too small, or a shifted sampler, is caught', () => {
    const n = 200_000;
    const tooWide = samples(DiscreteGaussianSampler.fromSigma(40 * 1.03), 'dg-control-wide', n);
    expect(failedChecks(tooWide, 40)).toEqual(expect.arrayContaining(['variance', 'chi-square']));
    const tooNarrow = samples(DiscreteGaussianSampler.fromSigma(2.5 / 1.03), 'dg-control-narrow', n);
    expect(failedChecks(tooNarrow, 2.5)).toEqual(expect.arrayContaining(['variance', 'chi-square']));
    const shifted = samples(DiscreteGaussianSampler.fromSigma(2.5), 'dg-control-shift', n).map((x) => x + 1);
    expect(failedChecks(shifted, 2.5)).toEqual(expect.arrayContaining(['mean', 'chi-square', 'symmetry']));
  });

  it('the exact variance is below sigma^2 for small sigma and indistinguishable from it for large sigma', () => {
    expect(discreteGaussianVariance(0.5)).toBeLessThan(0.25);
    expect(discreteGaussianVariance(40)).toBeCloseTo(1600, 6);
  });

  it('fromSigma keeps short sigma^2 exact', () => {
    expect(DiscreteGaussianSampler.fromSigma(40).sigmaSquared).toEqual({ numerator: 1600n, denominator: 1n });
    expect(DiscreteGaussianSampler.fromSigma(40.5).sigmaSquared).toEqual({ numerator: 6561n, denominator: 4n });
    expect(DiscreteGaussianSampler.fromSigma(0.5).sigmaSquared).toEqual({ numerator: 1n, denominator: 4n });
  });

  it('fromSigma never rounds sigma^2 down, and rounds up by at most 2^-21.5 (1 + 1/sigma) relative', () => {
    const rng = new SeededRng('dg-rounding');
    for (let i = 0; i < 300; i++) {
      const sigma = Math.exp(-20 + 36 * rng.nextUniform()); // 2e-9 .. 9e6
      const used = DiscreteGaussianSampler.fromSigma(sigma).sigmaSquared;
      const exact = rationalFromDouble(sigma);
      // used >= sigma^2 exactly: p / q >= m^2 / d^2  <=>  p d^2 >= m^2 q
      expect(used.numerator * exact.denominator ** 2n >= exact.numerator ** 2n * used.denominator).toBe(true);
      const relative = rationalToNumber(used) / (sigma * sigma) - 1;
      expect(relative).toBeLessThanOrEqual(2 ** -21.5 * (1 + 1 / sigma));
    }
  });

  it('an exact sigma^2 with a huge denominator runs the BigInt path and is still right', () => {
    const s = rationalFromDouble(3.1234567891234);
    const sampler = new DiscreteGaussianSampler({ numerator: s.numerator ** 2n, denominator: s.denominator ** 2n });
    expect(failedChecks(samples(sampler, 'dg-bigint', 40_000), 3.1234567891234)).toEqual([]);
  });

  it('rejects invalid parameters with INVALID_ARGUMENT', () => {
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      expect(() => DiscreteGaussianSampler.fromSigma(bad)).toThrow(DpError);
    }
    expect(() => new DiscreteGaussianSampler({ numerator: 0n, denominator: 1n })).toThrow(DpError);
    try {
      DiscreteGaussianSampler.fromSigma(-2);
    } catch (e) {
      expect((e as DpError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('throughput sanity: a million sigma = 40 samples from the CSPRNG (no timing assertion)', () => {
    const sampler = DiscreteGaussianSampler.fromSigma(40);
    const rng = new CryptoRng();
    const n = 1_000_000;
    let sum = 0;
    let sumSquares = 0;
    let nonInteger = 0;
    for (let i = 0; i < n; i++) {
      const x = sampler.sample(rng);
      if (!Number.isInteger(x)) nonInteger++;
      sum += x;
      sumSquares += x * x;
    }
    expect(nonInteger).toBe(0);
    // Loose bounds: this test uses the unseeded CSPRNG, so it must not be able to flake (8 standard errors).
    expect(Math.abs(sum / n)).toBeLessThan(8 * Math.sqrt(1600 / n));
    expect(Math.abs(sumSquares / n - 1600)).toBeLessThan(8 * 1600 * Math.sqrt(2 / n));
  });
});
