import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { discreteGaussianPmf } from '../samplers/discrete-gaussian-sampler.js';
import { Z_CRITICAL } from '../samplers/goodness-of-fit.testing.js';
import { makeGnmax } from './gnmax-mechanism.js';
import { differencePmf, thrownCode, twoClassWinProbability } from './mechanism-testing.testing.js';

const DELTA = 1e-5;

function basicEpsilon(rdpAt: (alpha: number) => number, orders: readonly number[], delta: number): number {
  return Math.min(...orders.map((a) => rdpAt(a) + Math.log(1 / delta) / (a - 1)));
}

describe('makeGnmax', () => {
  it('run: a unanimous histogram returns its class', () => {
    const gnmax = makeGnmax({ sigma: 40 });
    const rng = new SeededRng('gnmax-unanimous');
    const votes = [0, 0, 0, 250, 0, 0, 0, 0, 0, 0];
    const labels = new Set(Array.from({ length: 300 }, () => gnmax.run(votes, rng).label));
    expect([...labels]).toEqual([3]);
  });

  it('run: the win frequency matches the exact discrete-Gaussian probability (noise has the right sigma)', () => {
    const sigma = 3;
    const gnmax = makeGnmax({ sigma });
    const { support, probabilities } = discreteGaussianPmf(sigma);
    const diff = differencePmf(support, probabilities);
    const rng = new SeededRng('gnmax-win');
    const n = 40_000;
    for (const votes of [
      [7, 3],
      [4, 4],
      [10, 0],
    ]) {
      let wins = 0;
      for (let i = 0; i < n; i++) if (gnmax.run(votes, rng).label === 0) wins++;
      const p = twoClassWinProbability(votes[0], votes[1], diff);
      expect(Math.abs(wins / n - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
    }
  });

  it('run: ties are broken uniformly at random (sigma small enough for frequent ties)', () => {
    const gnmax = makeGnmax({ sigma: 0.3 });
    const rng = new SeededRng('gnmax-ties');
    const counts = [0, 0, 0];
    const n = 30_000;
    for (let i = 0; i < n; i++) counts[gnmax.run([5, 5, 5], rng).label]++;
    for (const c of counts) expect(Math.abs(c - n / 3)).toBeLessThan(Z_CRITICAL * Math.sqrt((n * 2) / 9));
  });

  it('run is reproducible with a SeededRng', () => {
    const gnmax = makeGnmax({ sigma: 5 });
    const votes = [10, 8, 9, 3];
    const a = new SeededRng(7);
    const b = new SeededRng(7);
    expect(Array.from({ length: 50 }, () => gnmax.run(votes, a).label)).toEqual(
      Array.from({ length: 50 }, () => gnmax.run(votes, b).label),
    );
  });

  it('event: data-independent epsilon is the alpha / sigma^2 curve through the basic conversion', () => {
    const sigma = 40;
    const gnmax = makeGnmax({ sigma, accounting: 'dataIndependent' });
    const votes = [10, 200, 40];
    expect(gnmax.event(votes)).toEqual({ kind: 'gnmaxDataIndependent', sigma });
    const accountant = new RdpAccountant();
    const report = accountant.compose(gnmax.event(votes), 1000).getEpsilon(DELTA);
    const expected = basicEpsilon((a) => (1000 * a) / sigma ** 2, accountant.orders, DELTA);
    expect(report.epsilon).toBeCloseTo(expected, 10);
    expect(report.conversion).toBe('basic');
  });

  it('event: data-dependent by default, never above the data-independent bound, much lower for a clear consensus', () => {
    const sigma = 40;
    const votes = [5, 230, 10, 5];
    const dependent = makeGnmax({ sigma }).event(votes);
    expect(dependent).toEqual({ kind: 'gnmaxDataDependent', sigma, votes });
    const independent = makeGnmax({ sigma, accounting: 'dataIndependent' }).event(votes);
    const eps = (e: typeof dependent) => new RdpAccountant().compose(e, 100).getEpsilon(DELTA).epsilon;
    expect(eps(dependent)).toBeLessThan(eps(independent) / 2);
    const contested = [120, 118, 6, 6];
    expect(eps(makeGnmax({ sigma }).event(contested))).toBeLessThanOrEqual(eps(independent));
  });

  it('event: the accountant accepts it; its votes are a copy, not the caller array', () => {
    const votes = [3, 4];
    const event = makeGnmax({ sigma: 2 }).event(votes);
    expect(new RdpAccountant().supports(event)).toBe(true);
    votes[0] = 100;
    expect(event).toEqual({ kind: 'gnmaxDataDependent', sigma: 2, votes: [3, 4] });
  });

  it('validates sigma and histograms with INVALID_ARGUMENT, without echoing vote values', () => {
    for (const sigma of [0, -1, Number.NaN, Infinity])
      expect(thrownCode(() => makeGnmax({ sigma }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => makeGnmax({ sigma: 1, accounting: 'bogus' as never }))).toBe('INVALID_ARGUMENT');
    const gnmax = makeGnmax({ sigma: 1 });
    const rng = new SeededRng('gnmax-invalid');
    for (const votes of [[], [5], [1, -1], [1, 2.5], [1, Number.NaN], [1, Infinity], 'abc', null]) {
      expect(thrownCode(() => gnmax.run(votes as never, rng))).toBe('INVALID_ARGUMENT');
      expect(thrownCode(() => gnmax.event(votes as never))).toBe('INVALID_ARGUMENT');
    }
    try {
      gnmax.run([1, 123456.5], rng);
    } catch (e) {
      expect((e as Error).message).not.toContain('123456');
    }
  });
});
