// Privacy analysis of GNMax (Scalable PATE, Papernot et al. ICLR 2018, sect. 4.1 and App. B): the
// data-independent bound (Prop 8), the union bound on q (Prop 7) and the data-dependent bound (Thm 6 with the
// orders mu1, mu2 of Prop 10). All in log space; where a precondition fails, the data-independent bound is kept.

import { DpError } from '../errors/dp-error.js';
import { log1mexp } from '../numerics/log-math.js';
import { logsf } from '../numerics/normal-tail.js';
import { assertOrders, assertPositive, assertVotes, type Orders } from './rdp-orders-check.js';

/** Index of the first maximum (numpy.argmax semantics on ties). */
export function argmaxFirst(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

// Skip classes whose tail is below e^-60 of the largest one: Mills' ratio makes e^{z^2/2} sf(z) decreasing,
// so sf(z)/sf(zMin) <= exp(-(z^2 - zMin^2)/2) and the skipped terms change the sum by < 1e-24 relative.
const SKIP_EXPONENT = 60;

/**
 * ln of an upper bound on Pr[GNMax output != argmax] (Scalable PATE Prop 7, core.compute_logq_gaussian):
 * union bound sum_{j != i*} Pr[N(0, 2 sigma^2) > n_i* - n_j], i* = first argmax; capped at ln(1 - 1/m).
 */
export function computeLogqGaussian(votes: ArrayLike<number>, sigma: number): number {
  assertVotes(votes, 'computeLogqGaussian', 2);
  assertPositive(sigma, 'sigma', 'computeLogqGaussian');
  const scale = Math.sqrt(2 * sigma * sigma);
  return logqFromTails(votes, scale, (gap) => logsf(gap, scale));
}

/**
 * Memoises logsf(gap, sqrt(2) sigma) by vote gap: integer histograms only ever produce gaps 0..numTeachers, so a
 * sequence analysis or a live accountant evaluates each tail once. Bounded; cleared when full.
 */
export class GnmaxTailCache {
  readonly scale: number;
  private readonly tails = new Map<number, number>();

  constructor(
    readonly sigma: number,
    private readonly maxEntries = 8192,
  ) {
    assertPositive(sigma, 'sigma', 'GnmaxTailCache');
    this.scale = Math.sqrt(2 * sigma * sigma);
  }

  readonly logsf = (gap: number): number => {
    let t = this.tails.get(gap);
    if (t === undefined) {
      t = logsf(gap, this.scale);
      if (this.tails.size >= this.maxEntries) this.tails.clear();
      this.tails.set(gap, t);
    }
    return t;
  };

  /** computeLogqGaussian(votes, sigma) through the cache (identical result). */
  logq(votes: ArrayLike<number>): number {
    assertVotes(votes, 'computeLogqGaussian', 2);
    return logqFromTails(votes, this.scale, this.logsf);
  }
}

function logqFromTails(votes: ArrayLike<number>, scale: number, tail: (gap: number) => number): number {
  const m = votes.length;
  const iMax = argmaxFirst(votes);
  const top = votes[iMax]!;
  let minGap = Infinity;
  for (let j = 0; j < m; j++) if (j !== iMax && top - votes[j]! < minGap) minGap = top - votes[j]!;
  const zMin = minGap / scale;
  const limit = zMin * zMin + 2 * SKIP_EXPONENT;
  // log-sum-exp over the kept tails, shifted by the largest one (the smallest gap).
  const maxTail = tail(minGap);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    if (j === iMax) continue;
    const gap = top - votes[j]!;
    const z = gap / scale;
    if (z > 0 && zMin > 0 && z * z > limit) continue;
    sum += Math.exp(tail(gap) - maxTail);
  }
  const logq = maxTail === -Infinity ? -Infinity : maxTail + Math.log(sum);
  return Math.min(logq, Math.log(1 - 1 / m));
}

/** Data-independent RDP of GNMax, alpha / sigma^2 (Scalable PATE Prop 8; core.rdp_data_independent_gaussian). */
export function rdpDataIndependentGaussian(sigma: number, orders: Orders): Float64Array {
  assertOrders(orders, 'rdpDataIndependentGaussian');
  const variance = sigma ** 2;
  const out = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i++) out[i] = orders[i]! / variance;
  return out;
}

/** Everything Thm 6 needs for one (logq, sigma), independent of the order. */
export interface GnmaxThm6Parameters {
  readonly logq: number;
  readonly variance: number;
  /** mu2 = sqrt(sigma^2 * -logq), mu1 = mu2 + 1 (Prop 10). */
  readonly muHi1: number;
  readonly muHi2: number;
  /** The order-free precondition of Thm 6 (q in the increasing range, A positive, -logq > eps2). */
  readonly globalConditionHolds: boolean;
  /** log(1 - q) */
  readonly log1q: number;
  /** log_a = (alpha - 1) * slopeA, log_b = (alpha - 1) * slopeB */
  readonly slopeA: number;
  readonly slopeB: number;
}

/** Order-free part of Thm 6 (Scalable PATE App. B) for a mechanism with data-independent RDP alpha / sigma^2. */
export function gnmaxThm6Parameters(logq: number, sigma: number): GnmaxThm6Parameters {
  if (!(logq <= 0) || Number.isNaN(logq))
    throw new DpError('INVALID_ARGUMENT', `rdpGaussian: logq must be <= 0, got ${logq}`);
  assertPositive(sigma, 'sigma', 'rdpGaussian');
  const variance = sigma ** 2;
  const muHi2 = Math.sqrt(variance * -logq);
  const muHi1 = muHi2 + 1;
  const rdpHi1 = muHi1 / variance;
  const rdpHi2 = muHi2 / variance;
  const logA2 = (muHi2 - 1) * rdpHi2;
  const globalConditionHolds =
    logq !== -Infinity &&
    muHi2 > 1 &&
    logq <= logA2 - muHi2 * (Math.log(1 + 1 / (muHi1 - 1)) + Math.log(1 + 1 / (muHi2 - 1))) &&
    -logq > rdpHi2;
  let log1q = 0;
  let slopeA = 0;
  let slopeB = 0;
  if (globalConditionHolds) {
    log1q = log1mexp(logq);
    slopeA = log1q - log1mexp((logq + rdpHi2) * (1 - 1 / muHi2));
    slopeB = rdpHi1 - logq / (muHi1 - 1);
  }
  return { logq, variance, muHi1, muHi2, globalConditionHolds, log1q, slopeA, slopeB };
}

/** The Thm 6 bound at one order, given its preconditions hold (no min with the data-independent bound). */
export function thm6BoundAt(p: GnmaxThm6Parameters, alpha: number): number {
  const x = alpha - 1;
  const u = p.log1q + x * p.slopeA;
  const v = p.logq + x * p.slopeB;
  const logS = u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
  return logS / x;
}

/**
 * Adds weight * rdp_gaussian(logq, sigma, alpha) for every order into out (the fast path of the accountant).
 * rdp_gaussian = min(alpha / sigma^2, Thm 6 bound) where Thm 6 applies (mu1 > alpha, mu2 > 1, global condition),
 * else alpha / sigma^2; exactly 0 when logq = -Infinity (the output is fixed).
 */
export function addRdpGaussian(logq: number, sigma: number, orders: Orders, out: Float64Array, weight = 1): void {
  addRdpGaussianTwice(logq, sigma, orders, out, weight, undefined, 0);
}

/**
 * addRdpGaussian into two accumulators at once (out += weight * rdp, out2 += weight2 * rdp): the sequence analysis
 * charges each GNMax curve to its expected and realised totals in one pass over the orders.
 */
export function addRdpGaussianTwice(
  logq: number,
  sigma: number,
  orders: Orders,
  out: Float64Array,
  weight: number,
  out2: Float64Array | undefined,
  weight2: number,
): void {
  if (logq === -Infinity) return;
  const p = gnmaxThm6Parameters(logq, sigma);
  const n = orders.length;
  const variance = p.variance;
  const muHi1 = p.globalConditionHolds ? p.muHi1 : -Infinity;
  const log1q = p.log1q;
  const slopeA = p.slopeA;
  const slopeB = p.slopeB;
  // log S = max(u, v) + log1p(e^{-|u - v|}) with u - v linear in alpha. Along runs of equally spaced orders (the
  // arange part of the stored lists) e^{-|u - v|} is advanced by a constant factor instead of a fresh exp, re-anchored
  // with an exact exp every ANCHOR_EVERY steps (error a few ulps, far below the analysis' own rounding).
  const slopeD = slopeA - slopeB;
  let prevX = NaN;
  let prevE = 0;
  let prevNeg = false;
  let stepH = NaN;
  let stepNeg = false;
  let ratio = 0;
  let sinceAnchor = ANCHOR_EVERY;
  for (let i = 0; i < n; i++) {
    const alpha = orders[i]!;
    let r = alpha / variance;
    if (muHi1 > alpha) {
      // Thm 6: log((1-q) A^{alpha-1} + q B^{alpha-1}) / (alpha - 1), in log space.
      const x = alpha - 1;
      const u = log1q + x * slopeA;
      const v = logq + x * slopeB;
      const neg = u < v;
      const h = x - prevX;
      let e: number;
      if (sinceAnchor < ANCHOR_EVERY && neg === prevNeg && h > 0) {
        if (h !== stepH || neg !== stepNeg) {
          stepH = h;
          stepNeg = neg;
          ratio = Math.exp(neg ? h * slopeD : -h * slopeD);
        }
        e = prevE * ratio;
        sinceAnchor++;
      } else {
        e = Math.exp(neg ? u - v : v - u);
        sinceAnchor = 0;
      }
      prevX = x;
      prevE = e;
      prevNeg = neg;
      const logS = (neg ? v : u) + Math.log1p(e);
      const dd = logS / x;
      if (dd < r) r = dd;
    }
    out[i] = out[i]! + weight * r;
    if (out2 !== undefined) out2[i] = out2[i]! + weight2 * r;
  }
}

/** Re-anchoring period of the multiplicative update in addRdpGaussianTwice. */
const ANCHOR_EVERY = 8;

/**
 * Data-dependent RDP of GNMax given an upper bound q on Pr[output != argmax] (Scalable PATE Thm 6;
 * core.rdp_gaussian): min(data-independent, data-dependent) only at orders where the preconditions hold.
 */
export function rdpGaussian(logq: number, sigma: number, orders: Orders): Float64Array {
  assertOrders(orders, 'rdpGaussian');
  const out = new Float64Array(orders.length);
  addRdpGaussian(logq, sigma, orders, out);
  return out;
}

export interface RdpGaussianDetails {
  readonly rdp: Float64Array;
  readonly rdpDataIndependent: Float64Array;
  readonly muHi1: number;
  readonly muHi2: number;
  /** Order-free precondition of Thm 6 (and at least one order where it may apply). */
  readonly preconditionsHold: boolean;
  /** Preconditions at each order: the global one and mu1 > alpha, mu2 > 1. */
  readonly preconditionsHoldPerOrder: boolean[];
  /** Thm 6 applies and is strictly below alpha / sigma^2. */
  readonly strictlyBetterPerOrder: boolean[];
}

/** rdp_gaussian with its diagnostics (Scalable PATE Thm 6 / Prop 10). */
export function rdpGaussianDetails(logq: number, sigma: number, orders: Orders): RdpGaussianDetails {
  assertOrders(orders, 'rdpGaussianDetails');
  const rdpDataIndependent = rdpDataIndependentGaussian(sigma, orders);
  const rdp = Float64Array.from(rdpDataIndependent);
  const n = orders.length;
  if (logq === -Infinity) {
    return {
      rdp: new Float64Array(n),
      rdpDataIndependent,
      muHi1: Infinity,
      muHi2: Infinity,
      preconditionsHold: false,
      preconditionsHoldPerOrder: new Array<boolean>(n).fill(false),
      strictlyBetterPerOrder: new Array<boolean>(n).fill(false),
    };
  }
  const p = gnmaxThm6Parameters(logq, sigma);
  const mask: boolean[] = [];
  let anyMask = false;
  for (let i = 0; i < n; i++) {
    const m = p.muHi1 > orders[i]! && p.muHi2 > 1;
    mask.push(m);
    anyMask ||= m;
  }
  const preconditionsHold = anyMask && p.globalConditionHolds;
  const perOrder = mask.map((m) => m && preconditionsHold);
  const better: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let b = false;
    if (perOrder[i]) {
      const dd = thm6BoundAt(p, orders[i]!);
      if (dd < rdp[i]!) {
        rdp[i] = dd;
        b = true;
      }
    }
    better.push(b);
  }
  return {
    rdp,
    rdpDataIndependent,
    muHi1: p.muHi1,
    muHi2: p.muHi2,
    preconditionsHold,
    preconditionsHoldPerOrder: perOrder,
    strictlyBetterPerOrder: better,
  };
}

/** numpy.isclose(a, b) with its defaults rtol = 1e-5, atol = 1e-8. */
export function numpyIsClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/**
 * Per order: is the data-independent bound always optimal for GNMax (core.is_data_independent_always_opt_gaussian)?
 * True when even the unanimous histogram gains nothing from Thm 6 (compared with numpy.isclose).
 */
export function isDataIndependentAlwaysOptGaussian(
  numTeachers: number,
  numClasses: number,
  sigma: number,
  orders: Orders,
): boolean[] {
  const unanimous = new Array<number>(numClasses).fill(0);
  unanimous[0] = numTeachers;
  const logq = computeLogqGaussian(unanimous, sigma);
  const dep = rdpGaussian(logq, sigma, orders);
  const ind = rdpDataIndependentGaussian(sigma, orders);
  return Array.from(dep, (d, i) => numpyIsClose(d, ind[i]!));
}
