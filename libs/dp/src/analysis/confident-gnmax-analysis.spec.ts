import { describe, expect, it } from '@jest/globals';
import { analyzeConfidentGnmaxSequence } from './confident-gnmax-analysis.js';
import { computeLogqGaussian, rdpGaussian } from './gnmax-analysis.js';
import { computeLogprAnswered, rdpThreshold } from './threshold-analysis.js';

const ORDERS = [2, 5, 10, 20, 50];
const VOTES = [
  [240, 5, 5, 0],
  [100, 90, 40, 20],
  [240, 5, 5, 0],
  [180, 60, 10, 0],
];

describe('Confident-GNMax sequence analysis (Scalable PATE Alg. 1)', () => {
  const params = { threshold: 200, sigma1: 150, sigma2: 40, orders: ORDERS };

  it('expected = sum threshold + Pr[answered] GNMax; realised charges GNMax on answered queries only', () => {
    const mask = [true, false, false, true];
    const a = analyzeConfidentGnmaxSequence({ ...params, votes: VOTES, answeredMask: mask });
    const exp = new Float64Array(ORDERS.length);
    const real = new Float64Array(ORDERS.length);
    VOTES.forEach((v, q) => {
      const logPr = computeLogprAnswered(200, 150, v);
      const t = rdpThreshold(logPr, 150, ORDERS);
      const g = rdpGaussian(computeLogqGaussian(v, 40), 40, ORDERS);
      for (let i = 0; i < ORDERS.length; i++) {
        exp[i] = exp[i]! + t[i]! + Math.exp(logPr) * g[i]!;
        real[i] = real[i]! + t[i]! + (mask[q] ? g[i]! : 0);
      }
    });
    a.rdpExpectedDataDependent.forEach((r, i) => expect(r).toBeCloseTo(exp[i]!, 14));
    a.rdpRealizedDataDependent!.forEach((r, i) => expect(r).toBeCloseTo(real[i]!, 14));
    expect(a.numAnsweredRealized).toBe(2);
  });

  it('Interactive-GNMax thresholds votes - baseline', () => {
    const baseline = VOTES.map((v) => v.map((x) => x / 2));
    const a = analyzeConfidentGnmaxSequence({ ...params, votes: VOTES, baseline });
    expect(a.prAnsweredPerQuery[0]).toBeCloseTo(Math.exp(computeLogprAnswered(200, 150, [120])), 15);
  });
});
