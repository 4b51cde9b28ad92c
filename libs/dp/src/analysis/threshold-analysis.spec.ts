import { describe, expect, it } from '@jest/globals';
import { logsf } from '../numerics/normal-tail.js';
import {
  computeLogprAnswered,
  isDataIndependentAlwaysOptThreshold,
  rdpDataIndependentThreshold,
  rdpThreshold,
  roundedMaxVote,
  thresholdLogq,
} from './threshold-analysis.js';

describe('threshold step (Scalable PATE sect. 4.2)', () => {
  it('rounds the max of votes - baseline half to even, as the reference', () => {
    expect(roundedMaxVote([121.5, 3])).toBe(122);
    expect(roundedMaxVote([120.5, 3])).toBe(120);
    expect(roundedMaxVote([130, 20], [8.5, -1])).toBe(122);
    expect(computeLogprAnswered(200, 150, [120.5, 1])).toBe(logsf(80, 150));
  });

  it('uses q = min(p, 1 - p)', () => {
    expect(thresholdLogq(Math.log(0.3))).toBeCloseTo(Math.log(0.3), 15);
    expect(thresholdLogq(Math.log(0.9))).toBeCloseTo(Math.log(0.1), 14);
  });

  it('data-independent cost is alpha / (2 sigma1^2) and bounds the data-dependent one', () => {
    const orders = [2, 10, 100];
    const ind = rdpDataIndependentThreshold(150, orders);
    orders.forEach((a, i) => expect(ind[i]).toBeCloseTo(a / (2 * 150 ** 2), 15));
    for (const maxVote of [0, 100, 200, 250]) {
      const dep = rdpThreshold(computeLogprAnswered(200, 150, [maxVote]), 150, orders);
      dep.forEach((r, i) => expect(r).toBeLessThanOrEqual(ind[i]!));
    }
  });

  it('with a huge sigma1 the data-independent bound is always optimal', () => {
    expect(isDataIndependentAlwaysOptThreshold(250, 200, 1e4, [2, 10]).every((b) => b)).toBe(true);
  });
});
