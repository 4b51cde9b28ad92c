import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import type { RdpConversion } from '../accountant/rdp-conversion.js';
import { CAPC_ORDERS } from '../accountant/rdp-orders.js';
import { DpError } from '../errors/dp-error.js';
import { makeConfidentGnmax } from '../mechanisms/confident-gnmax-mechanism.js';
import { makeGnmax } from '../mechanisms/gnmax-mechanism.js';
import { SeededRng } from '../rng/seeded-rng.js';
import {
  calibrateNoise,
  epsilonForNoiseScale,
  type CalibrationFamily,
  type CalibrationRequest,
  type CalibrationResult,
} from './noise-calibration.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DpError ? e.code : String(e);
  }
  return undefined;
}

/** epsilon of the result's own event, recomputed by a fresh accountant. */
function recomputed(result: CalibrationResult, request: CalibrationRequest): number {
  const accountant = new RdpAccountant(request.orders === undefined ? {} : { orders: request.orders });
  return accountant.compose(result.event).getEpsilon(request.delta, request.conversion ?? 'basic').epsilon;
}

describe('calibrateNoise', () => {
  it('GNMax: the sigma giving epsilon = 2 after 1,000 queries, checked against the mechanism and the accountant', () => {
    const request = { family: { kind: 'gnmax' }, epsilon: 2, delta: 1e-5, queries: 1000 } as const;
    const result = calibrateNoise(request);
    const sigma = result.parameters.sigma!;
    expect(result.noiseScale).toBe(sigma);
    expect(result.epsilon).toBeLessThanOrEqual(2);
    expect(result.conversion).toBe('basic');
    const gnmax = makeGnmax({ sigma, accounting: 'dataIndependent' });
    const eps = (s: number) =>
      new RdpAccountant()
        .compose(makeGnmax({ sigma: s, accounting: 'dataIndependent' }).event([1, 0]), 1000)
        .getEpsilon(1e-5).epsilon;
    expect(new RdpAccountant().compose(gnmax.event([1, 0]), 1000).getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(2);
    expect(eps(sigma * (1 - 1e-7))).toBeGreaterThan(2); // tight: a hair less noise overshoots
    expect(sigma).toBeGreaterThan(50);
    expect(sigma).toBeLessThan(200);
  });

  it('Confident-GNMax with fixed sigma1 and with fixed ratios', () => {
    const fixed = calibrateNoise({
      family: { kind: 'confidentGnmax', sigma1: 150, threshold: 200 },
      epsilon: 5,
      delta: 1e-5,
      queries: 500,
    });
    expect(fixed.parameters).toEqual({ sigma1: 150, sigma2: fixed.noiseScale, threshold: 200 });
    expect(fixed.epsilon).toBeLessThanOrEqual(5);
    const ratios = calibrateNoise({
      family: { kind: 'confidentGnmax', sigma1PerSigma2: 3.75, thresholdPerSigma1: 200 / 150, answeredQueries: 300 },
      epsilon: 5,
      delta: 1e-5,
      queries: 1000,
    });
    const { sigma1, sigma2, threshold } = ratios.parameters;
    expect(sigma1! / sigma2!).toBeCloseTo(3.75, 12);
    expect(threshold! / sigma1!).toBeCloseTo(200 / 150, 12);
    expect(ratios.epsilon).toBeLessThanOrEqual(5);
    // The mechanism built from the result, charged realised & data-independent for 1000 queries / 300 answers, fits.
    const m = makeConfidentGnmax({
      threshold: threshold!,
      sigma1: sigma1!,
      sigma2: sigma2!,
      accounting: 'dataIndependent',
    });
    const accountant = new RdpAccountant();
    accountant.compose(m.event([250, 0], { answered: true }), 300).compose(m.event([250, 0], { answered: false }), 700);
    expect(accountant.getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(5 * (1 + 1e-12));
  });

  it('Gaussian, Laplace and LNMax families; the improved conversion needs less noise than the basic one', () => {
    const base = { epsilon: 1, delta: 1e-6, queries: 100 } as const;
    for (const family of [{ kind: 'gaussian', sensitivity: 2 }, { kind: 'laplace' }, { kind: 'lnmax' }] as const) {
      const basic = calibrateNoise({ ...base, family });
      const improved = calibrateNoise({ ...base, family, conversion: 'improved' });
      expect(basic.epsilon).toBeLessThanOrEqual(1);
      expect(improved.epsilon).toBeLessThanOrEqual(1);
      expect(improved.conversion).toBe('improved');
      expect(improved.noiseScale).toBeLessThanOrEqual(basic.noiseScale);
    }
    const lnmax = calibrateNoise({ ...base, family: { kind: 'lnmax' } });
    expect(lnmax.parameters.gamma).toBeCloseTo(1 / lnmax.noiseScale, 15);
  });

  it('granularity rounds the scale up to a multiple and still meets the target', () => {
    const r = calibrateNoise({
      family: { kind: 'gnmax' },
      epsilon: 2,
      delta: 1e-5,
      queries: 1000,
      granularity: 1 / 16,
    });
    expect(Number.isInteger(r.noiseScale * 16)).toBe(true);
    expect(r.epsilon).toBeLessThanOrEqual(2);
    const exact = calibrateNoise({ family: { kind: 'gnmax' }, epsilon: 2, delta: 1e-5, queries: 1000 });
    expect(r.noiseScale).toBeGreaterThanOrEqual(exact.noiseScale);
    expect(r.noiseScale - exact.noiseScale).toBeLessThanOrEqual(1 / 16);
  });

  it('property: never overshoots, and is tight, over 200 random targets, families, conversions and order lists', () => {
    const rng = new SeededRng('calibration-property');
    const families: CalibrationFamily[] = [
      { kind: 'gnmax' },
      { kind: 'gaussian' },
      { kind: 'gaussian', sensitivity: 3 },
      { kind: 'laplace' },
      { kind: 'lnmax' },
      { kind: 'confidentGnmax', sigma1PerSigma2: 3.75, thresholdPerSigma1: 1.3 },
      { kind: 'confidentGnmax', sigma1PerSigma2: 2, answeredQueries: 1 },
    ];
    let reached = 0;
    for (let i = 0; i < 200; i++) {
      const queries = Math.max(1, Math.round(Math.exp(rng.nextUniform() * Math.log(20_000))));
      const family = families[rng.randomInt(families.length)];
      const request: CalibrationRequest = {
        family:
          family.kind === 'confidentGnmax' && 'answeredQueries' in family
            ? { ...family, answeredQueries: Math.min(queries, 1 + rng.randomInt(queries)) }
            : family,
        epsilon: Math.exp(Math.log(0.05) + rng.nextUniform() * Math.log(400)), // 0.05 .. 20
        delta: 10 ** (-9 + 6 * rng.nextUniform()),
        queries,
        conversion: (rng.nextBoolean() ? 'basic' : 'improved') as RdpConversion,
        ...(rng.nextBoolean() ? { orders: CAPC_ORDERS } : {}),
      };
      let result: CalibrationResult;
      try {
        result = calibrateNoise(request);
      } catch (e) {
        // Only a genuinely unreachable target may fail: even enormous noise misses it.
        expect((e as DpError).code).toBe('TARGET_UNREACHABLE');
        expect(epsilonForNoiseScale(request, 1e12)).toBeGreaterThan(request.epsilon);
        continue;
      }
      reached++;
      expect(result.epsilon).toBeLessThanOrEqual(request.epsilon);
      expect(recomputed(result, request)).toBeLessThanOrEqual(request.epsilon);
      // Tight: 1e-6 less noise misses the target (the bisection stops at a relative width of 1e-10).
      expect(epsilonForNoiseScale(request, result.noiseScale * (1 - 1e-6))).toBeGreaterThan(request.epsilon);
    }
    expect(reached).toBeGreaterThan(170);
  });

  it('is tight: epsilon at a noise scale 1e-6 smaller exceeds the target (GNMax, both conversions)', () => {
    for (const conversion of ['basic', 'improved'] as const) {
      for (const epsilon of [0.3, 1, 4, 9]) {
        const r = calibrateNoise({ family: { kind: 'gnmax' }, epsilon, delta: 1e-6, queries: 250, conversion });
        const at = (s: number) =>
          new RdpAccountant().compose({ kind: 'gnmaxDataIndependent', sigma: s }, 250).getEpsilon(1e-6, conversion)
            .epsilon;
        expect(at(r.noiseScale)).toBeLessThanOrEqual(epsilon);
        expect(at(r.noiseScale * (1 - 1e-6))).toBeGreaterThan(epsilon);
      }
    }
  });

  it('says TARGET_UNREACHABLE for targets below the conversion floor or below a fixed threshold cost', () => {
    // basic conversion: eps >= ln(1/delta) / (a_max - 1) ~ 0.023 for delta = 1e-5 and a_max = 500.
    expect(codeOf(() => calibrateNoise({ family: { kind: 'gnmax' }, epsilon: 0.01, delta: 1e-5, queries: 10 }))).toBe(
      'TARGET_UNREACHABLE',
    );
    expect(
      codeOf(() =>
        calibrateNoise({ family: { kind: 'confidentGnmax', sigma1: 10 }, epsilon: 1, delta: 1e-5, queries: 1000 }),
      ),
    ).toBe('TARGET_UNREACHABLE');
  });

  it('rejects invalid requests with INVALID_ARGUMENT', () => {
    const ok: CalibrationRequest = { family: { kind: 'gnmax' }, epsilon: 1, delta: 1e-5, queries: 10 };
    for (const bad of [
      { ...ok, epsilon: 0 },
      { ...ok, epsilon: Number.NaN },
      { ...ok, delta: 0 },
      { ...ok, delta: 1 },
      { ...ok, queries: 0 },
      { ...ok, queries: 1.5 },
      { ...ok, conversion: 'fancy' },
      { ...ok, family: { kind: 'nope' } },
      { ...ok, family: { kind: 'confidentGnmax', sigma1: -1 } },
      { ...ok, family: { kind: 'confidentGnmax', sigma1: 100, answeredQueries: 11 } },
      { ...ok, orders: [1] },
      { ...ok, granularity: 0 },
    ]) {
      expect(codeOf(() => calibrateNoise(bad as CalibrationRequest))).toBe('INVALID_ARGUMENT');
    }
  });
});
