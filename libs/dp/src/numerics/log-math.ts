// Log-space arithmetic used by the RDP analysis. Values that underflow in linear space (probabilities of
// 1e-270) stay finite here. Inputs are log-probabilities; -Infinity represents 0.

/** log(e^a + e^b) without overflow; -Infinity is the log of 0. */
import { DpError } from '../errors/dp-error.js';

export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  if (a === Infinity || b === Infinity) return Infinity;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(e^a - e^b) for a >= b (Mironov 2017 log-space subtraction); throws if the result would be negative. */
export function logSubExp(a: number, b: number): number {
  if (a < b) throw new DpError('INVALID_ARGUMENT', `logSubExp: result would be negative (a=${a} < b=${b})`);
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  const d = a - b;
  // log(e^a - e^b) = a + log(1 - e^{-(a-b)}).
  return a + log1mexp(-d);
}

/**
 * log(1 - e^x) for x <= 0, accurate near both ends (Maechler 2012, "Accurately computing log(1 - exp(-|a|))"):
 * log1p(-exp(x)) when x < -ln 2 would be the textbook switch; the reference (core._log1mexp) switches at -1,
 * and either is accurate to a few ulps.
 */
export function log1mexp(x: number): number {
  if (x < -1) return Math.log1p(-Math.exp(x));
  if (x < 0) return Math.log(-Math.expm1(x));
  if (x === 0) return -Infinity;
  throw new DpError('INVALID_ARGUMENT', `log1mexp: argument must be <= 0, got ${x}`);
}

/** log(sum_i e^{x_i}) (numpy-style max shift); -Infinity for an empty list. */
export function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}
