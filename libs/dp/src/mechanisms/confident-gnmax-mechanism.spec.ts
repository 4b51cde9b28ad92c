import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { Z_CRITICAL } from '../samplers/goodness-of-fit.testing.js';
import { makeConfidentGnmax, makeInteractiveGnmax } from './confident-gnmax-mechanism.js';
import { discreteGaussianSurvival, thrownCode } from './mechanism-testing.testing.js';
import { thresholdGap } from './threshold-gap.js';

const DELTA = 1e-5;

function frequency(n: number, trial: () => boolean): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (trial()) k++;
  return k / n;
}

describe('makeConfidentGnmax', () => {
  const unanimous = [250, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const spread = [25, 25, 25, 25, 25, 25, 25, 25, 25, 25];

  it('run: a unanimous histogram is answered with its class; a spread one is refused', () => {
    const m = makeConfidentGnmax({ threshold: 200, sigma1: 10, sigma2: 40 });
    const rng = new SeededRng('confident-run');
    for (let i = 0; i < 200; i++) expect(m.run(unanimous, rng)).toEqual({ answered: true, label: 0 });
    for (let i = 0; i < 200; i++) expect(m.run(spread, rng)).toEqual({ answered: false });
  });

  it('run: Pr[answered] is exactly Pr[N_Z(0, sigma1^2) >= T - max]', () => {
    const m = makeConfidentGnmax({ threshold: 200, sigma1: 5, sigma2: 40 });
    const rng = new SeededRng('confident-pr');
    const n = 40_000;
    for (const max of [195, 200, 203]) {
      const votes = [max, 250 - max];
      const p = discreteGaussianSurvival(5, 200 - max);
      const f = frequency(n, () => m.run(votes, rng).answered);
      expect(Math.abs(f - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
    }
  });

  it('a fractional threshold is exact: max + Z >= 199.5 is Z >= ceil(199.5 - max)', () => {
    const m = makeConfidentGnmax({ threshold: 199.5, sigma1: 4, sigma2: 40 });
    const rng = new SeededRng('confident-frac');
    const n = 40_000;
    const p = discreteGaussianSurvival(4, 3); // max 197
    const f = frequency(n, () => m.run([197, 53], rng).answered);
    expect(Math.abs(f - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
  });

  it('event, realised (default): threshold always, GNMax only when answered', () => {
    const sigma1 = 150;
    const sigma2 = 40;
    const m = makeConfidentGnmax({ threshold: 200, sigma1, sigma2, accounting: 'dataIndependent' });
    const accountant = new RdpAccountant();
    const refused = accountant.eventRdp(m.event(spread, { answered: false }));
    const answered = accountant.eventRdp(m.event(unanimous, { answered: true, label: 0 }));
    accountant.orders.forEach((a, i) => {
      expect(refused[i]).toBeCloseTo(a / (2 * sigma1 ** 2), 14);
      expect(answered[i]).toBeCloseTo(a / (2 * sigma1 ** 2) + a / sigma2 ** 2, 14);
    });
    expect(m.event(spread, { answered: false })).toMatchObject({
      kind: 'confidentGnmax',
      charging: 'realised',
      answered: false,
    });
  });

  it('event, realised: the run outcome is required', () => {
    const m = makeConfidentGnmax({ threshold: 200, sigma1: 150, sigma2: 40 });
    expect(thrownCode(() => m.event(unanimous))).toBe('INVALID_ARGUMENT');
  });

  it('event, expected: weighs GNMax by Pr[answered], needs no outcome; data-dependent is cheaper for a consensus', () => {
    const m = makeConfidentGnmax({ threshold: 200, sigma1: 150, sigma2: 40, charging: 'expected' });
    const e = m.event(unanimous);
    expect(e).toMatchObject({ kind: 'confidentGnmax', charging: 'expected', votes: unanimous });
    expect(e).not.toHaveProperty('answered');
    const eps = (ev: ReturnType<typeof m.event>) => new RdpAccountant().compose(ev, 1000).getEpsilon(DELTA).epsilon;
    const independent = makeConfidentGnmax({
      threshold: 200,
      sigma1: 150,
      sigma2: 40,
      charging: 'expected',
      accounting: 'dataIndependent',
    });
    expect(eps(e)).toBeLessThan(eps(independent.event(unanimous)));
    expect(Number.isFinite(eps(e))).toBe(true);
  });

  it('validates its options and inputs with INVALID_ARGUMENT', () => {
    const ok = { threshold: 200, sigma1: 150, sigma2: 40 };
    for (const bad of [
      { ...ok, threshold: Number.NaN },
      { ...ok, sigma1: 0 },
      { ...ok, sigma2: -3 },
      { ...ok, charging: 'sometimes' },
      { ...ok, accounting: 'maybe' },
    ]) {
      expect(thrownCode(() => makeConfidentGnmax(bad as never))).toBe('INVALID_ARGUMENT');
    }
    const m = makeConfidentGnmax(ok);
    expect(thrownCode(() => m.run([1, -2], new SeededRng(1)))).toBe('INVALID_ARGUMENT');
  });
});

describe('thresholdGap (exact ceil(T - max(votes - baseline)))', () => {
  it('matches the real-number value where a float subtraction would round across an integer', () => {
    // exact: 1 - (1 - 2^-60) = 2^-60 -> ceil 1; in doubles 1 - 2^-60 rounds to 1 and the naive ceil is 0.
    expect(thresholdGap(1, [1], [2 ** -60])).toBe(1);
    expect(thresholdGap(50, [200, 50], [199.5, 0.5])).toBe(1);
    expect(thresholdGap(200, [120, 30])).toBe(80);
    expect(thresholdGap(199.5, [197, 53])).toBe(3);
    expect(thresholdGap(10, [0, 0], [-3.25, 4])).toBe(7);
  });
});

describe('makeInteractiveGnmax', () => {
  it('answers from the teachers when votes exceed the student baseline by the threshold', () => {
    const m = makeInteractiveGnmax({ threshold: 100, sigma1: 5, sigma2: 10 });
    const rng = new SeededRng('interactive-teachers');
    const input = { votes: [240, 10, 0], baseline: [20.5, 100.25, 129.25] };
    for (let i = 0; i < 100; i++) expect(m.run(input, rng)).toEqual({ answered: true, label: 0, source: 'teachers' });
  });

  it('keeps the confident student label for free when the teachers merely agree with it', () => {
    const m = makeInteractiveGnmax({ threshold: 100, sigma1: 5, sigma2: 10, studentThreshold: 200 });
    const rng = new SeededRng('interactive-student');
    const input = { votes: [240, 10, 0], baseline: [237.5, 12.5, 0] };
    for (let i = 0; i < 100; i++) expect(m.run(input, rng)).toEqual({ answered: false, label: 0, source: 'student' });
    const unsure = makeInteractiveGnmax({ threshold: 100, sigma1: 5, sigma2: 10 });
    expect(unsure.run(input, rng)).toEqual({ answered: false, source: 'none' });
  });

  it('Pr[answered] is exactly Pr[N_Z(0, sigma1^2) >= ceil(T - max(votes - baseline))] with a fractional baseline', () => {
    const m = makeInteractiveGnmax({ threshold: 50, sigma1: 3, sigma2: 10 });
    const rng = new SeededRng('interactive-pr');
    const input = { votes: [200, 50], baseline: [199.5, 0.5] }; // max diff 49.5 -> Z >= 1
    const n = 40_000;
    const p = discreteGaussianSurvival(3, 1);
    const f = frequency(n, () => m.run(input, rng).answered);
    expect(Math.abs(f - p)).toBeLessThan(Z_CRITICAL * Math.sqrt((p * (1 - p)) / n) + 1 / n);
  });

  it('event carries the baseline and is accepted by the accountant; realised needs the outcome', () => {
    const m = makeInteractiveGnmax({ threshold: 50, sigma1: 3, sigma2: 10 });
    const input = { votes: [200, 50], baseline: [199.5, 0.5] };
    const event = m.event(input, { answered: false, source: 'none' });
    expect(event).toMatchObject({
      kind: 'confidentGnmax',
      baseline: [199.5, 0.5],
      answered: false,
      charging: 'realised',
    });
    const report = new RdpAccountant().compose(event).getEpsilon(DELTA);
    expect(report.epsilon > 0 && Number.isFinite(report.epsilon)).toBe(true);
    expect(thrownCode(() => m.event(input))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => m.run({ votes: [1, 2], baseline: [1] }, new SeededRng(1)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => m.run({ votes: [1, 2], baseline: [1, Number.NaN] }, new SeededRng(1)))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});
