import { describe, expect, it } from '@jest/globals';
import { erfc, erfcinv, erfcinvFromLog, logErfc, logNdtr, logsf } from './normal-tail.js';

// Reference values: mpmath at 30 digits.
const LOG_ERFC: [number, number][] = [
  [-3, 0.6931361352504468],
  [0, 0],
  [0.5, -0.7350111298370844],
  [1, -1.8496055099332482],
  [2, -5.364941264616638],
  [5, -27.200889545537436],
  [10, -102.87988902484489],
  [30, -903.9741171106439],
  [100, -10005.177585122665],
  [1000, -1000007.4801207219],
];

const LOG_SF: [number, number][] = [
  [0, -0.6931471805599453],
  [1, -1.8410216450092636],
  [5, -15.064998393988725],
  [20, -203.91715537109727],
  [100, -5005.524208694205],
];

describe('logErfc', () => {
  it.each(LOG_ERFC)('log erfc(%p) matches a 30-digit reference', (x, expected) => {
    const got = logErfc(x);
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
  });

  it('is finite far in the tail where erfc underflows', () => {
    expect(erfc(40)).toBe(0);
    expect(Number.isFinite(logErfc(40))).toBe(true);
    expect(logErfc(1e6)).toBeLessThan(-1e12);
  });

  it('agrees with erfc in the range where both are representable', () => {
    for (const x of [-2, -0.1, 0.3, 1.2, 1.3, 3, 7]) {
      expect(Math.abs(Math.log(erfc(x)) - logErfc(x))).toBeLessThan(1e-14 * Math.max(1, Math.abs(logErfc(x))));
    }
  });

  it('throws instead of returning NaN', () => {
    expect(() => logErfc(NaN)).toThrow();
  });
});

describe('logsf', () => {
  it.each(LOG_SF)('log Pr[N(0,1) > %p]', (x, expected) => {
    expect(Math.abs(logsf(x) - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
  });

  it('handles a 250-vote gap at sigma 5 under the GNMax sqrt(2) sigma (logq ~ -629)', () => {
    const got = logsf(250, Math.sqrt(2 * 25));
    expect(Math.abs(got - -629.4851863546317)).toBeLessThan(1e-11);
  });

  it('is accurate on the left side (probabilities close to 1)', () => {
    expect(logsf(-40) === 0).toBe(true);
    expect(Math.abs(logsf(-5) - Math.log1p(-2.866515718791939e-7))).toBeLessThan(1e-20);
    expect(logNdtr(0)).toBeCloseTo(Math.log(0.5), 15);
  });

  it('rejects a non-positive scale', () => {
    expect(() => logsf(1, 0)).toThrow();
  });
});

describe('erfcinv', () => {
  it('inverts erfc on (0, 2)', () => {
    for (const y of [1e-300, 1e-100, 1e-10, 0.01, 0.3, 0.999, 1, 1.2, 1.999]) {
      const x = erfcinv(y);
      const back = y <= 1 ? Math.exp(logErfc(x)) : erfc(x);
      expect(Math.abs(back - y) / y).toBeLessThan(1e-13);
    }
    expect(erfcinv(0)).toBe(Infinity);
    expect(erfcinv(2)).toBe(-Infinity);
  });

  it('works from log y beyond the double range', () => {
    const x = erfcinvFromLog(-2000);
    expect(Math.abs(logErfc(x) - -2000)).toBeLessThan(1e-10);
  });
});
