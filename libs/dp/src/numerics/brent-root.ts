// Brent's root finder (R. P. Brent, "Algorithms for Minimization without Derivatives", 1973, ch. 4, "zero"):
// inverse quadratic interpolation / secant steps guarded by bisection. Same contract as scipy.optimize.brentq.

import { DpError } from '../errors/dp-error.js';

export interface BrentOptions {
  /** Absolute tolerance on the root (scipy's default 2e-12). */
  readonly xtol?: number;
  /** Relative tolerance on the root (scipy's default 4 * machine epsilon). */
  readonly rtol?: number;
  readonly maxIter?: number;
}

/** A root of f in [a, b]; f(a) and f(b) must have opposite signs (or one of them be 0). */
export function brentRoot(f: (x: number) => number, a: number, b: number, options: BrentOptions = {}): number {
  const xtol = options.xtol ?? 2e-12;
  const rtol = options.rtol ?? 4 * 2.220446049250313e-16;
  const maxIter = options.maxIter ?? 200;
  let fa = f(a);
  let fb = f(b);
  if (Number.isNaN(fa) || Number.isNaN(fb))
    throw new DpError('INVALID_ARGUMENT', 'brentRoot: f is NaN at an end of the bracket');
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (fa > 0 === fb > 0) throw new DpError('INVALID_ARGUMENT', `brentRoot: f(${a}) and f(${b}) have the same sign`);
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < maxIter; iter++) {
    if (fb > 0 === fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = rtol * Math.abs(b) + 0.5 * xtol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) < tol || Math.abs(fa) <= Math.abs(fb)) {
      d = m;
      e = m;
    } else {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < 3 * m * q - Math.abs(tol * q) && p < Math.abs(0.5 * e * q)) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
    if (Number.isNaN(fb)) throw new DpError('INVALID_ARGUMENT', `brentRoot: f is NaN at ${b}`);
  }
  return b;
}
