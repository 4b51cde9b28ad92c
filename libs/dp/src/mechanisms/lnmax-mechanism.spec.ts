import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { discreteLaplacePmf } from '../samplers/discrete-laplace-sampler.js';
import { Z_CRITICAL } from '../samplers/goodness-of-fit.testing.js';
import { makeLnmax } from './lnmax-mechanism.js';
import { differencePmf, thrownCode, twoClassWinProbability } from './mechanism-testing.testing.js';

describe('makeLnmax', () => {
  it('run: a unanimous histogram returns its class', () => {
    const lnmax = makeLnmax({ gamma: 0.05 });
    const rng = new SeededRng('lnmax-unanimous');
    const votes = [0, 0, 250, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 200; i++) expect(lnmax.run(votes, rng).label).toBe(2);
  });

  it('uses noise of scale exactly 1/gamma for gamma = 0.05 (the double 1/0.05 rounds up to 20)', () => {
    expect(makeLnmax({ gamma: 0.05 }).sampler.scale).toEqual({ numerator: 20n, denominator: 1n });
    const odd = makeLnmax({ gamma: 0.03 }).sampler.scale;
    // scale >= 1/gamma exactly: num/den >= 1/g  <=>  num * g >= den (g as the exact double).
    expect(Number(odd.numerator) * 0.03 >= Number(odd.denominator)).toBe(true);
  });

  it('run: the win frequency matches the exact discrete-Laplace probability', () => {
    const gamma = 0.5;
    const lnmax = makeLnmax({ gamma });
    const support: number[] = [];
    const probabilities: number[] = [];
    for (let x = -120; x <= 120; x++) {
      support.push(x);
      probabilities.push(discreteLaplacePmf(1 / gamma, x));
    }
    const diff = differencePmf(support, probabilities);
    const rng = new SeededRng('lnmax-win');
    const n = 40_000;
    for (const votes of [
      [3, 0],
      [2, 2],
    ]) {
      let wins = 0;
      for (let i = 0; i < n; i++) if (lnmax.run(votes, rng).label === 0) wins++;
      const p = twoClassWinProbability(votes[0], votes[1], diff);
      expect(Math.abs(wins / n - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
    }
  });

  it('event: data-independent is the pure 2 gamma-DP bound; data-dependent is never worse', () => {
    const gamma = 0.05;
    const votes = [5, 230, 10, 5];
    const independent = makeLnmax({ gamma, accounting: 'dataIndependent' }).event(votes);
    expect(independent).toEqual({ kind: 'lnmax', gamma });
    const dependent = makeLnmax({ gamma }).event(votes);
    expect(dependent).toEqual({ kind: 'lnmax', gamma, votes });
    const accountant = new RdpAccountant();
    const curve = accountant.eventRdp(independent);
    accountant.orders.forEach((a, i) => expect(curve[i]).toBeLessThanOrEqual(2 * gamma + 1e-15));
    const eps = (e: typeof dependent) => new RdpAccountant().compose(e, 100).getEpsilon(1e-5).epsilon;
    expect(eps(dependent)).toBeLessThanOrEqual(eps(independent));
  });

  it('validates with INVALID_ARGUMENT', () => {
    for (const gamma of [0, -0.1, Number.NaN, 2 ** -40])
      expect(thrownCode(() => makeLnmax({ gamma }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => makeLnmax({ gamma: 0.1 }).run([1, 0.5], new SeededRng(1)))).toBe('INVALID_ARGUMENT');
  });
});
