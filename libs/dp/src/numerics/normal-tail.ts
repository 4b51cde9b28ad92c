// Tail-accurate error function and Gaussian survival function in log space.
// erfc(x) = Gamma(1/2, x^2) / sqrt(pi) (Abramowitz & Stegun 7.1.2 / 6.5.17): for x^2 < 1.5 the power series of the
// lower incomplete gamma function (A&S 6.5.29), otherwise Legendre's continued fraction for the upper one
// (A&S 6.5.31) evaluated with the modified Lentz algorithm. The continued fraction is evaluated in log space, so
// log erfc(x) stays accurate for x of thousands (vote gaps of hundreds of sigma) where erfc(x) underflows.

import { DpError } from '../errors/dp-error.js';

const LOG_SQRT_PI = 0.5723649429247001; // 0.5 * ln(pi)
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300;
const MAX_ITER = 10_000;

/** erf(x) for x^2 < 1.5 via the series of the regularised lower incomplete gamma P(1/2, x^2). */
function erfSeries(x: number): number {
  const z = x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < MAX_ITER; n++) {
    term *= z / (n + 0.5);
    sum += term;
    if (term < sum * EPS) break;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-z) * sum;
}

/**
 * log of the continued-fraction factor h(z) with Gamma(1/2, z) = e^{-z} z^{1/2} h(z) (z = x^2 >= 1.5):
 * h = 1/(z + 1/2 - (1 * 1/2)/(z + 5/2 - (2 * 3/2)/(z + 9/2 - ...))).
 */
function logGammaHalfCf(z: number): number {
  const a = 0.5;
  let b = z + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.log(h);
}

function checkNumber(x: number, fn: string): void {
  if (Number.isNaN(x)) throw new DpError('INVALID_ARGUMENT', `${fn}: argument is NaN`);
}

/** erfc(x) in linear space (underflows to 0 beyond x ~ 26.5; use logErfc there). */
export function erfc(x: number): number {
  checkNumber(x, 'erfc');
  if (x < 0) return 2 - erfc(-x);
  const z = x * x;
  if (z < 1.5) return 1 - erfSeries(x);
  if (x === Infinity) return 0;
  return Math.exp(-z + Math.log(x) - LOG_SQRT_PI + logGammaHalfCf(z));
}

/** log(erfc(x)), accurate (relative ~1e-15) for every x, including x in the thousands. */
export function logErfc(x: number): number {
  checkNumber(x, 'logErfc');
  if (x < 0) return Math.log(2 - erfc(-x));
  const z = x * x;
  if (z < 1.5) return Math.log1p(-erfSeries(x));
  if (z === Infinity) return -Infinity;
  return -z + Math.log(x) - LOG_SQRT_PI + logGammaHalfCf(z);
}

/** erfcx(x) = e^{x^2} erfc(x) for x >= 0 (no overflow). */
function erfcxNonNegative(x: number): number {
  const z = x * x;
  if (z < 1.5) return Math.exp(z) * (1 - erfSeries(x));
  return Math.exp(Math.log(x) - LOG_SQRT_PI + logGammaHalfCf(z));
}

/** log Phi(t), the log of the standard normal CDF (scipy.special.log_ndtr), tail-accurate on both sides. */
export function logNdtr(t: number): number {
  checkNumber(t, 'logNdtr');
  if (t < 0) return Math.log(0.5) + logErfc(-t * Math.SQRT1_2);
  return Math.log1p(-0.5 * erfc(t * Math.SQRT1_2));
}

/**
 * log Pr[N(0, scale^2) > x] (scipy.stats.norm.logsf(x, scale=scale)) = log(0.5 erfc(x / (scale sqrt 2))).
 * Finite for gaps of hundreds of sigma (e.g. -625 for a 250-vote gap at sigma 5 under the GNMax sqrt(2) sigma).
 */
export function logsf(x: number, scale = 1): number {
  checkNumber(x, 'logsf');
  if (!(scale > 0)) throw new DpError('INVALID_ARGUMENT', `logsf: scale must be > 0, got ${scale}`);
  return logNdtr(-x / scale);
}

/**
 * The x >= 0 with log erfc(x) = logY, for logY <= 0 (i.e. erfcinv(y) for y in (0, 1]) — inverse of logErfc by
 * Newton's method. log erfc is concave and decreasing and erfc(x) <= e^{-x^2}, so the start sqrt(-logY) lies right
 * of the root and the iteration decreases monotonically onto it.
 */
export function erfcinvFromLog(logY: number): number {
  checkNumber(logY, 'erfcinvFromLog');
  if (logY > 0) throw new DpError('INVALID_ARGUMENT', `erfcinvFromLog: logY must be <= 0, got ${logY}`);
  if (logY === 0) return 0;
  if (logY === -Infinity) return Infinity;
  let x = Math.sqrt(-logY);
  for (let i = 0; i < 200; i++) {
    const f = logErfc(x) - logY;
    // d/dx log erfc(x) = -(2/sqrt(pi)) / erfcx(x)
    const slope = -TWO_OVER_SQRT_PI / erfcxNonNegative(x);
    let next = x - f / slope;
    if (next < 0) next = 0;
    if (Math.abs(next - x) <= 4 * EPS * Math.max(x, 1e-300) || next === x) {
      x = next;
      break;
    }
    x = next;
  }
  return x;
}

/** erfcinv(y) for y in [0, 2] (scipy.special.erfcinv). */
export function erfcinv(y: number): number {
  checkNumber(y, 'erfcinv');
  if (y < 0 || y > 2) throw new DpError('INVALID_ARGUMENT', `erfcinv: argument must be in [0, 2], got ${y}`);
  if (y === 0) return Infinity;
  if (y === 2) return -Infinity;
  if (y <= 1) return erfcinvFromLog(Math.log(y));
  return -erfcinvFromLog(Math.log(2 - y));
}
