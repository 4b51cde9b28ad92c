import { describe, expect, it } from '@jest/globals';
import {
  computeLogqLaplace,
  computeQNoisyMax,
  logmgfExact,
  logmgfFromCounts,
  momentsAccountantEps,
  rdpPureEps,
} from './lnmax-analysis.js';

describe('LNMax (PATE 2017 and Scalable PATE core)', () => {
  it('Lemma 4 q bound agrees between the 2017 and 2018 forms', () => {
    const votes = [100, 90, 30, 10, 10, 5, 5, 0, 0, 0];
    expect(Math.log(computeQNoisyMax(votes, 0.05))).toBeCloseTo(computeLogqLaplace(votes, 20), 12);
  });

  it('log moment never exceeds the data-independent 2 gamma-DP bound', () => {
    for (const l of [1, 2, 4, 8]) {
      expect(logmgfFromCounts([240, 10, 0], 0.05, l)).toBeLessThanOrEqual(logmgfExact(1, 0.1, l));
    }
  });

  it('rdp_pure_eps at alpha = l + 1 is the 2017 log moment divided by l', () => {
    const votes = [240, 5, 5];
    const q = computeQNoisyMax(votes, 0.05);
    const moments = [1, 2, 3, 4, 5, 6, 7, 8];
    const rdp = rdpPureEps(
      Math.log(q),
      0.1,
      moments.map((l) => l + 1),
    );
    moments.forEach((l, i) => expect(rdp[i]! * l).toBeCloseTo(logmgfExact(q, 0.1, l), 12));
  });

  it('moments accountant takes the best l', () => {
    const r = momentsAccountantEps([0.1, 0.3, 0.6], [1, 2, 3], 1e-5);
    expect(r.epsPerL).toEqual([0.1 + Math.log(1e5), (0.3 + Math.log(1e5)) / 2, (0.6 + Math.log(1e5)) / 3]);
    expect(r.lOpt).toBe(3);
  });
});
