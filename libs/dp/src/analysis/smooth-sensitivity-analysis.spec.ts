import { describe, expect, it } from '@jest/globals';
import {
  computeDiscountedMax,
  computeLogq0Gnmax,
  computeLogq1Gnmax,
  dataDependentBoundGnmax,
  localSensitivityBoundsGnmax,
  localSensitivityBoundsThreshold,
  numpyArange,
  rdpSmoothSensitivityGaussian,
  smoothSensitivityBetaGrid,
} from './smooth-sensitivity-analysis.js';

describe('smooth sensitivity (Scalable PATE App. B-C)', () => {
  it('logq0 is where Thm 6 meets the data-independent bound, and logq1 < logq0', () => {
    for (const [sigma, order] of [
      [40, 7.5],
      [100, 20.5],
    ] as const) {
      const logq0 = computeLogq0Gnmax(sigma, order);
      expect(Math.abs(dataDependentBoundGnmax(sigma, logq0, order) - order / sigma ** 2)).toBeLessThan(1e-12);
      expect(computeLogq1Gnmax(sigma, order, 10)).toBeLessThan(logq0);
    }
  });

  it('local sensitivity bounds are non-negative and have numTeachers entries', () => {
    const ls = localSensitivityBoundsGnmax([200, 30, 20, 0, 0], 250, 40, 14);
    expect(ls).toHaveLength(250);
    ls.forEach((x) => expect(x).toBeGreaterThanOrEqual(0));
    const lt = localSensitivityBoundsThreshold([150, 60, 20, 10, 10], 250, 200, 150, 14);
    expect(lt).toHaveLength(250);
  });

  it('beta-smooth sensitivity discounts by e^{-beta d}', () => {
    expect(computeDiscountedMax(0.5, [1, 3, 0])).toBeCloseTo(3 * Math.exp(-0.5), 15);
  });

  it('GNSS RDP (Thm 23) is Infinity outside 1 < order < 1/(2 beta)', () => {
    expect(rdpSmoothSensitivityGaussian(0.05, 10, 11)).toBe(Infinity);
    const r = rdpSmoothSensitivityGaussian(0.0205, 11.9, 20.5);
    expect(r).toBeCloseTo(0.2194432612165234, 12);
  });

  it('reproduces numpy.arange for the beta grid', () => {
    expect(smoothSensitivityBetaGrid(14)).toHaveLength(20);
    expect(numpyArange(0, 1, 0.25)).toEqual([0, 0.25, 0.5, 0.75]);
  });
});
