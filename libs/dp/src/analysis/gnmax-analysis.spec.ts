import { describe, expect, it } from '@jest/globals';
import { logsf } from '../numerics/normal-tail.js';
import { CAPC_ORDERS, DPSGD_ORDERS, PATE_2018_ORDERS } from '../accountant/rdp-orders.js';
import {
  argmaxFirst,
  GnmaxTailCache,
  computeLogqGaussian,
  isDataIndependentAlwaysOptGaussian,
  rdpDataIndependentGaussian,
  rdpGaussian,
  rdpGaussianDetails,
} from './gnmax-analysis.js';

const ORDERS = [1.5, 2, 3, 5, 8, 14, 20, 32, 50, 100, 250];

describe('computeLogqGaussian (Scalable PATE Prop 7)', () => {
  it('uses the first argmax on ties (numpy) and the union bound over the rest', () => {
    expect(argmaxFirst([3, 7, 7, 1])).toBe(1);
    const votes = [10, 200, 200, 40];
    const s = Math.sqrt(2 * 40 ** 2);
    const expected = Math.log(Math.exp(logsf(190, s)) + Math.exp(logsf(0, s)) + Math.exp(logsf(160, s)));
    expect(computeLogqGaussian(votes, 40)).toBeCloseTo(Math.min(expected, Math.log(1 - 1 / 4)), 14);
  });

  it('caps q at 1 - 1/m', () => {
    expect(computeLogqGaussian([25, 25, 25, 25, 25, 25, 25, 25, 25, 25], 40)).toBe(Math.log(1 - 1 / 10));
  });

  it('stays finite for unanimous votes at small sigma (gap of 50 sigma)', () => {
    const logq = computeLogqGaussian([250, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5);
    expect(Number.isFinite(logq)).toBe(true);
    expect(logq).toBeLessThan(-600);
  });
});

describe('rdpGaussian (Scalable PATE Thm 6)', () => {
  it('is never above the data-independent bound alpha / sigma^2', () => {
    const ind = rdpDataIndependentGaussian(40, ORDERS);
    for (const votes of [
      [240, 10, 0],
      [150, 100, 0],
      [125, 125, 0],
      [250, 0, 0],
    ]) {
      const dep = rdpGaussian(computeLogqGaussian(votes, 40), 40, ORDERS);
      dep.forEach((r, i) => {
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(ind[i]!);
      });
    }
  });

  it('is 0 when the output is certain and data-independent when q is large', () => {
    expect(Array.from(rdpGaussian(-Infinity, 10, ORDERS))).toEqual(ORDERS.map(() => 0));
    expect(Array.from(rdpGaussian(Math.log(0.5), 10, ORDERS))).toEqual(
      Array.from(rdpDataIndependentGaussian(10, ORDERS)),
    );
  });

  it('applies Thm 6 only below mu1 and reports where it helped', () => {
    const d = rdpGaussianDetails(computeLogqGaussian([10, 20, 200, 20, 0, 0, 0, 0, 0, 0], 40), 40, ORDERS);
    expect(d.preconditionsHold).toBe(true);
    ORDERS.forEach((a, i) => {
      expect(d.preconditionsHoldPerOrder[i]).toBe(d.muHi1 > a && d.muHi2 > 1);
      if (!d.preconditionsHoldPerOrder[i]) expect(d.rdp[i]).toBe(d.rdpDataIndependent[i]);
      if (d.strictlyBetterPerOrder[i]) expect(d.rdp[i]).toBeLessThan(d.rdpDataIndependent[i]!);
    });
  });

  it('decreases as the vote gap widens', () => {
    let prev = Infinity;
    for (const top of [130, 160, 190, 220, 250]) {
      const r = rdpGaussian(computeLogqGaussian([top, 250 - top], 20), 20, [8])[0]!;
      expect(r).toBeLessThanOrEqual(prev);
      prev = r;
    }
  });

  it('finds data-independent optimal at every order for tiny ensembles', () => {
    expect(isDataIndependentAlwaysOptGaussian(5, 10, 40, ORDERS).every((b) => b)).toBe(true);
    expect(isDataIndependentAlwaysOptGaussian(250, 10, 40, [2]).every((b) => b)).toBe(false);
  });
});

describe('fast paths agree with the reference-shaped computation', () => {
  it('addRdpGaussian (multiplicative exp updates) matches rdpGaussianDetails', () => {
    let worst = 0;
    for (const orders of [PATE_2018_ORDERS, CAPC_ORDERS, DPSGD_ORDERS]) {
      for (let k = 0; k < 300; k++) {
        const sigma = [1, 5, 10, 20, 40, 100, 150, 1500][k % 8]!;
        const logq = -Math.exp(-3 + (9 * k) / 300);
        const fast = rdpGaussian(logq, sigma, orders);
        const exact = rdpGaussianDetails(logq, sigma, orders).rdp;
        fast.forEach((r, i) => {
          const e = exact[i]!;
          worst = Math.max(worst, r === e ? 0 : Math.abs(r - e) / Math.abs(e));
        });
      }
    }
    expect(worst).toBeLessThan(1e-10);
  });

  it('GnmaxTailCache gives the same logq as computeLogqGaussian', () => {
    const cache = new GnmaxTailCache(40);
    for (const votes of [
      [240, 5, 5],
      [100, 90, 60],
      [125, 125, 0],
      [250, 0, 0],
      [10.5, 3, 200],
    ]) {
      expect(cache.logq(votes)).toBe(computeLogqGaussian(votes, 40));
      expect(cache.logq(votes)).toBe(computeLogqGaussian(votes, 40));
    }
  });
});
