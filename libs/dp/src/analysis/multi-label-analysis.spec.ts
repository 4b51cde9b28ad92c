import { describe, expect, it } from '@jest/globals';
import { computeLogqGaussian } from './gnmax-analysis.js';
import { computeLogqMultiLabel, multiLabelEffectiveLabels, rdpMultiLabelGnmax } from './multi-label-analysis.js';

const ORDERS = [2, 5, 10, 20];

describe('multi-label GNMax (Private Multi-Winner Voting)', () => {
  const votes = { positives: [48, 2, 45, 1], numTeachers: 50, sigma: 6 };

  it('logq is the union bound of the per-label binary GNMax logq', () => {
    const perLabel = votes.positives.map((p) => Math.exp(computeLogqGaussian([50 - p, p], 6)));
    expect(computeLogqMultiLabel(votes)).toBeCloseTo(Math.log(perLabel.reduce((a, b) => a + b, 0)), 12);
  });

  it('data-independent cost is k alpha / sigma^2 and bounds the data-dependent one', () => {
    const di = rdpMultiLabelGnmax(votes, ORDERS, false);
    ORDERS.forEach((a, i) => expect(di[i]).toBeCloseTo((4 * a) / 36, 14));
    const dd = rdpMultiLabelGnmax(votes, ORDERS, true);
    dd.forEach((r, i) => expect(r).toBeLessThanOrEqual(di[i]!));
  });

  it('tau-clipping bounds the effective number of labels by 4 tau^2', () => {
    expect(multiLabelEffectiveLabels(10)).toBe(10);
    expect(multiLabelEffectiveLabels(10, 1)).toBe(4);
    expect(multiLabelEffectiveLabels(3, 5)).toBe(3);
    const clipped = rdpMultiLabelGnmax({ ...votes, tau: 0.5 }, ORDERS, false);
    ORDERS.forEach((a, i) => expect(clipped[i]).toBeCloseTo(a / 36, 14));
  });
});
