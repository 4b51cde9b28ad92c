import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { meanAndVariance, Z_CRITICAL } from '../samplers/goodness-of-fit.testing.js';
import { makeGaussian, makeLaplace } from './additive-noise-mechanism.js';
import { thrownCode } from './mechanism-testing.testing.js';

describe('makeGaussian', () => {
  it.each([false, true])('run (integer = %s): value + noise with variance sigma^2', (integer) => {
    const sigma = 4;
    const m = makeGaussian({ sigma, integer });
    const rng = new SeededRng(`gaussian-${integer}`);
    const n = 50_000;
    const xs = new Float64Array(n).map(() => m.run(100, rng));
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - 100)).toBeLessThan(Z_CRITICAL * sigma * Math.sqrt(1 / n));
    expect(Math.abs(variance / sigma ** 2 - 1)).toBeLessThan(Z_CRITICAL * Math.sqrt(2 / n));
    expect(xs.every((x) => Number.isInteger(x))).toBe(integer);
  });

  it('event: alpha Delta^2 / (2 sigma^2) in the accountant', () => {
    const m = makeGaussian({ sigma: 3, sensitivity: 2 });
    expect(m.event()).toEqual({ kind: 'gaussian', sigma: 3, sensitivity: 2 });
    const accountant = new RdpAccountant();
    const curve = accountant.eventRdp(m.event());
    accountant.orders.forEach((a, i) => expect(curve[i]).toBeCloseTo((a * 4) / 18, 12));
  });

  it('validates with INVALID_ARGUMENT', () => {
    expect(thrownCode(() => makeGaussian({ sigma: 0 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => makeGaussian({ sigma: 1, sensitivity: -1 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => makeGaussian({ sigma: 1 }).run(Number.NaN, new SeededRng(1)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => makeGaussian({ sigma: 1, integer: true }).run(1.5, new SeededRng(1)))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('makeLaplace', () => {
  it('run: value + Lap(scale), variance 2 scale^2', () => {
    const m = makeLaplace({ scale: 2 });
    const rng = new SeededRng('laplace-mech');
    const n = 50_000;
    const xs = new Float64Array(n).map(() => m.run(-7, rng));
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean + 7)).toBeLessThan(Z_CRITICAL * Math.sqrt(8 / n));
    expect(Math.abs(variance / 8 - 1)).toBeLessThan(Z_CRITICAL * Math.sqrt(5 / n));
  });

  it('event: accepted by the accountant, at most the pure epsilon Delta / scale at every order', () => {
    const m = makeLaplace({ scale: 2, sensitivity: 1 });
    expect(m.event()).toEqual({ kind: 'laplace', scale: 2, sensitivity: 1 });
    const curve = new RdpAccountant().eventRdp(m.event());
    for (const r of curve) expect(r).toBeLessThanOrEqual(0.5 + 1e-15);
    expect(thrownCode(() => makeLaplace({ scale: -2 }))).toBe('INVALID_ARGUMENT');
  });
});
