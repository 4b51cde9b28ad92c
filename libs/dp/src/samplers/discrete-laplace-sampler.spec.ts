import { describe, expect, it } from '@jest/globals';
import { DpError } from '../errors/dp-error.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { DiscreteLaplaceSampler, discreteLaplacePmf, discreteLaplaceVariance } from './discrete-laplace-sampler.js';
import { rationalFromDouble, rationalToNumber } from './exact-rational.js';
import { chiSquareAgainstPmf, chiSquareCriticalValue, meanAndVariance, Z_CRITICAL } from './goodness-of-fit.testing.js';

function failedChecks(xs: Float64Array, scale: number): string[] {
  const n = xs.length;
  const failed: string[] = [];
  const variance = discreteLaplaceVariance(scale);
  const { mean, variance: sampleVariance } = meanAndVariance(xs);
  if (Math.abs(mean) > Z_CRITICAL * Math.sqrt(variance / n)) failed.push('mean');
  // Laplace kurtosis is 6: Var(sample variance) ~ 5 sigma^4 / n.
  if (Math.abs(sampleVariance - variance) > Z_CRITICAL * variance * Math.sqrt(5 / n) + 1e-3) failed.push('variance');
  const m = Math.ceil(60 * scale) + 2;
  const support: number[] = [];
  const probabilities: number[] = [];
  for (let x = -m; x <= m; x++) {
    support.push(x);
    probabilities.push(discreteLaplacePmf(scale, x));
  }
  const { statistic, degreesOfFreedom } = chiSquareAgainstPmf(xs, support, probabilities);
  if (statistic > chiSquareCriticalValue(degreesOfFreedom)) failed.push('chi-square');
  return failed;
}

function samples(sampler: DiscreteLaplaceSampler, seed: string, n: number): Float64Array {
  const rng = new SeededRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sampler.sample(rng);
  return out;
}

describe('DiscreteLaplaceSampler (Canonne-Kamath-Steinke 2020, Algorithm 2)', () => {
  it.each([0.4, 1, 2.5, 20, 1 / 0.03])(
    'scale %d: mean 0, exact variance, chi-square against the exact pmf',
    (scale) => {
      expect(failedChecks(samples(DiscreteLaplaceSampler.fromScale(scale), `dl-${scale}`, 100_000), scale)).toEqual([]);
    },
  );

  it('the checks have power: a scale 4% off is caught', () => {
    expect(failedChecks(samples(DiscreteLaplaceSampler.fromScale(20 * 1.04), 'dl-control', 200_000), 20)).toContain(
      'variance',
    );
  });

  it('fromScale keeps short scales exact and otherwise never rounds down', () => {
    expect(DiscreteLaplaceSampler.fromScale(20).scale).toEqual({ numerator: 20n, denominator: 1n });
    expect(DiscreteLaplaceSampler.fromScale(2.5).scale).toEqual({ numerator: 5n, denominator: 2n });
    const rng = new SeededRng('dl-rounding');
    for (let i = 0; i < 300; i++) {
      const scale = Math.exp(-4 + 14 * rng.nextUniform());
      const used = DiscreteLaplaceSampler.fromScale(scale).scale;
      const exact = rationalFromDouble(scale);
      expect(used.numerator * exact.denominator >= exact.numerator * used.denominator).toBe(true);
      expect(rationalToNumber(used) / scale - 1).toBeLessThan(2 ** -30 * Math.max(1, 1 / scale));
    }
  });

  it('rejects invalid scales with INVALID_ARGUMENT', () => {
    for (const bad of [0, -1, Number.NaN, Infinity, 2 ** 40]) {
      let code: string | undefined;
      try {
        DiscreteLaplaceSampler.fromScale(bad);
      } catch (e) {
        code = (e as DpError).code;
      }
      expect(code).toBe('INVALID_ARGUMENT');
    }
  });
});
