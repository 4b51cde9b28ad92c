// Smooth sensitivity of the data-dependent RDP of GNMax and of the threshold step, and the RDP of releasing a
// data-dependent cost with Gaussian noise scaled to its smooth sensitivity (GNSS) — Scalable PATE App. B.4-C:
// local sensitivity at distance d (Alg. 3-5, Prop 13), beta-smooth sensitivity max_d e^{-beta d} LS(d)
// (Nissim, Raskhodnikova, Smith 2007), GNSS RDP (Thm 23), and the parameter search of the ICLR 2018 scripts
// (smooth_sensitivity_table._find_optimal_smooth_sensitivity_parameters).

import { DpError } from '../errors/dp-error.js';
import { brentRoot } from '../numerics/brent-root.js';
import { log1mexp } from '../numerics/log-math.js';
import { erfcinvFromLog, logErfc, logsf } from '../numerics/normal-tail.js';
import { roundHalfEven } from '../numerics/python-rounding.js';
import { computeLogqGaussian, GnmaxTailCache, rdpGaussian } from './gnmax-analysis.js';
import { assertPositive } from './rdp-orders-check.js';
import { computeLogprAnswered, rdpThreshold } from './threshold-analysis.js';

/** Thm 6 bound at one order without checking its preconditions (callers compare logq with logq0 first). */
export function dataDependentBoundGnmax(sigma: number, logq: number, order: number): number {
  const variance = sigma ** 2;
  const mu2 = sigma * Math.sqrt(-logq);
  const mu1 = mu2 + 1;
  const eps1 = mu1 / variance;
  const eps2 = mu2 / variance;
  const log1q = log1mexp(logq);
  const innerArg = (logq + eps2) * (1 - 1 / mu2);
  const logA = (order - 1) * (log1q - (innerArg < 0 ? log1mexp(innerArg) : NaN));
  const logB = (order - 1) * (eps1 - logq / (mu1 - 1));
  const u = log1q + logA;
  const v = logq + logB;
  if (Number.isNaN(u) || Number.isNaN(v)) return NaN;
  const s = u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
  return s / (order - 1);
}

const logq0Cache = new Map<string, number>();

/**
 * logq0: the point above which the data-independent bound beats Thm 6 for GNMax at this order
 * (smooth_sensitivity.compute_logq0_gnmax): a root, by Brent's method, of dataDependentBound - order / sigma^2,
 * bracketed below the natural upper bound min(-(1 + 1/sigma)^2, -((order - .99)/sigma)^2, -1/sigma^2).
 * If no bracket is found, returns -Infinity (data-independent everywhere: fails toward less privacy).
 */
export function computeLogq0Gnmax(sigma: number, order: number): number {
  assertPositive(sigma, 'sigma', 'computeLogq0Gnmax');
  const key = `${sigma}:${order}`;
  const cached = logq0Cache.get(key);
  if (cached !== undefined) return cached;
  const ind = order / sigma ** 2;
  const compare = (logq: number): number => dataDependentBoundGnmax(sigma, logq, order) - ind;
  const logub = Math.min(-((1 + 1 / sigma) ** 2), -(((order - 0.99) / sigma) ** 2), -1 / sigma ** 2);
  let result: number;
  const atUb = compare(logub);
  if (atUb < 0) {
    result = logub;
  } else {
    let loglb = 2 * logub;
    while (compare(loglb) > 0 && loglb > -1e6) loglb *= 1.5;
    const atLb = compare(loglb);
    result = atLb > 0 || Number.isNaN(atLb) || Number.isNaN(atUb) ? -Infinity : brentRoot(compare, loglb, logub);
  }
  if (logq0Cache.size >= 4096) logq0Cache.clear();
  logq0Cache.set(key, result);
  return result;
}

/** ln of B_l(q) = (m-1)/2 erfc(1/sigma + erfcinv(2q/(m-1))): the least q one vote change can reach (Prop 13). */
export function logBlGnmax(logq: number, sigma: number, numClasses: number): number {
  const x = erfcinvFromLog(Math.min(0, Math.log(2) + logq - Math.log(numClasses - 1)));
  return Math.log((numClasses - 1) / 2) + logErfc(1 / sigma + x);
}

/** ln of B_u(q) = min(1, (m-1)/2 erfc(-1/sigma + erfcinv(2q/(m-1)))): the largest q after one vote change. */
export function logBuGnmax(logq: number, sigma: number, numClasses: number): number {
  const x = erfcinvFromLog(Math.min(0, Math.log(2) + logq - Math.log(numClasses - 1)));
  return Math.min(0, Math.log((numClasses - 1) / 2) + logErfc(-1 / sigma + x));
}

/** logq1 = ln B_l(q0): below it the local sensitivity plateaus (smooth_sensitivity._compute_logq1). */
export function computeLogq1Gnmax(sigma: number, order: number, numClasses: number): number {
  const logq0 = computeLogq0Gnmax(sigma, order);
  if (logq0 === -Infinity) return -Infinity;
  return logBlGnmax(logq0, sigma, numClasses);
}

/** RDP of GNMax at one order as used by the smooth-sensitivity analysis: data-independent at or above logq0. */
export function rdpGnmaxForSmoothSensitivity(sigma: number, logq: number, order: number): number {
  const logq0 = computeLogq0Gnmax(sigma, order);
  const ind = order / sigma ** 2;
  if (logq >= logq0) return ind;
  const dd = dataDependentBoundGnmax(sigma, logq, order);
  return Number.isNaN(dd) ? ind : dd;
}

/** Alg. 3 of Scalable PATE (Prop 13): an upper bound on the local sensitivity of the GNMax RDP at q. */
export function localSensitivityGnmax(logq: number, sigma: number, numClasses: number, order: number): number {
  const logq0 = computeLogq0Gnmax(sigma, order);
  const logq1 = computeLogq1Gnmax(sigma, order, numClasses);
  if (logq1 <= logq && logq <= logq0) logq = logq1;
  const beta = rdpGnmaxForSmoothSensitivity(sigma, logq, order);
  const betaBu = rdpGnmaxForSmoothSensitivity(sigma, logBuGnmax(logq, sigma, numClasses), order);
  const betaBl = rdpGnmaxForSmoothSensitivity(sigma, logBlGnmax(logq, sigma, numClasses), order);
  return Math.max(betaBu - beta, beta - betaBl);
}

/**
 * Local sensitivity at distance d = 0..numTeachers-1 of the GNMax RDP (Scalable PATE Alg. 4-5;
 * smooth_sensitivity.compute_local_sensitivity_bounds_gnmax): walk the histogram (sorted, non-increasing) towards
 * the worst case one vote at a time until logq leaves (logq1, logq0); beyond that the bound is the plateau LS(q1).
 */
export function localSensitivityBoundsGnmax(
  votes: ArrayLike<number>,
  numTeachers: number,
  sigma: number,
  order: number,
): Float64Array {
  const m = votes.length;
  const logq0 = computeLogq0Gnmax(sigma, order);
  const logq1 = computeLogq1Gnmax(sigma, order, m);
  const tails = new GnmaxTailCache(sigma); // the walk revisits the same vote gaps many times
  let logq = tails.logq(votes);
  const plateau = localSensitivityGnmax(logq1, sigma, m, order);
  const res = new Float64Array(Math.max(0, numTeachers)).fill(plateau);
  if (res.length === 0 || (logq1 <= logq && logq <= logq0)) return res;
  const v = Array.from(votes).sort((a, b) => b - a);
  res[0] = localSensitivityGnmax(logq, sigma, m, order);
  let d = 0;
  const goLeft = logq > logq0; // otherwise logq < logq1 and we move votes towards a tie
  while (d + 1 < res.length && ((goLeft && logq > logq0 && v[1]! > 0) || (!goLeft && logq < logq1))) {
    d++;
    if (goLeft) {
      v[0] = v[0]! + 1;
      v[1] = v[1]! - 1;
      let idx = 1;
      while (idx < m - 1 && v[idx]! < v[idx + 1]!) {
        const t = v[idx]!;
        v[idx] = v[idx + 1]!;
        v[idx + 1] = t;
        idx++;
      }
    } else {
      v[0] = v[0]! - 1;
      v[1] = v[1]! + 1;
    }
    logq = tails.logq(v);
    res[d] = localSensitivityGnmax(logq, sigma, m, order);
  }
  return res;
}

const thresholdRdpListCache = new Map<string, Float64Array>();

/** RDP of the threshold step at one order for every integer max vote 0..numTeachers. */
function thresholdRdpList(numTeachers: number, threshold: number, sigma1: number, order: number): Float64Array {
  const key = `${numTeachers}:${threshold}:${sigma1}:${order}`;
  let res = thresholdRdpListCache.get(key);
  if (res === undefined) {
    res = new Float64Array(numTeachers + 1);
    for (let v = 0; v <= numTeachers; v++) res[v] = rdpThreshold(logsf(threshold - v, sigma1), sigma1, [order])[0]!;
    if (thresholdRdpListCache.size >= 64) thresholdRdpListCache.clear();
    thresholdRdpListCache.set(key, res);
  }
  return res;
}

/**
 * Local sensitivity at distance d = 0..numTeachers-1 of the threshold step's RDP
 * (smooth_sensitivity.compute_local_sensitivity_bounds_threshold): the cost depends only on the rounded max vote v,
 * which moves by at most d at distance d, so LS(d) = max over v' = v +- d of the one-step change of the cost.
 */
export function localSensitivityBoundsThreshold(
  votes: ArrayLike<number>,
  numTeachers: number,
  threshold: number,
  sigma1: number,
  order: number,
  baseline?: ArrayLike<number>,
): Float64Array {
  let mx = -Infinity;
  for (let i = 0; i < votes.length; i++)
    mx = Math.max(mx, baseline === undefined ? votes[i]! : votes[i]! - baseline[i]!);
  const curMax = roundHalfEven(mx);
  if (!(curMax >= 0 && curMax <= numTeachers)) {
    throw new DpError(
      'INVALID_ARGUMENT',
      `localSensitivityBoundsThreshold: rounded max vote ${curMax} outside [0, ${numTeachers}]`,
    );
  }
  const rdp = thresholdRdpList(numTeachers, threshold, sigma1, order);
  const lsAt = (v: number): number => {
    let r = -Infinity;
    if (v > 0) r = Math.max(r, Math.abs(rdp[v - 1]! - rdp[v]!));
    if (v < numTeachers) r = Math.max(r, Math.abs(rdp[v + 1]! - rdp[v]!));
    return r === -Infinity ? 0 : r;
  };
  const ls = new Float64Array(numTeachers);
  const dMax = Math.min(numTeachers, Math.max(curMax, numTeachers - curMax));
  for (let d = 0; d < dMax; d++) {
    let r = -Infinity;
    if (curMax + d <= numTeachers) r = Math.max(r, lsAt(curMax + d));
    if (curMax - d >= 0) r = Math.max(r, lsAt(curMax - d));
    ls[d] = r;
  }
  return ls;
}

/** beta-smooth upper bound max_d e^{-beta d} LS(d) (Nissim, Raskhodnikova, Smith 2007, Def. 2.1 / Prop. 3.1). */
export function computeDiscountedMax(beta: number, ls: ArrayLike<number>): number {
  let m = -Infinity;
  for (let d = 0; d < ls.length; d++) m = Math.max(m, ls[d]! * Math.exp(-beta * d));
  return m;
}

/**
 * RDP of the GNSS mechanism (Scalable PATE Thm 23; compute_rdp_of_smooth_sensitivity_gaussian):
 * alpha e^{2 beta} / sigma^2 + (beta alpha - 0.5 ln(1 - 2 alpha beta)) / (alpha - 1), for 1 < alpha < 1/(2 beta);
 * Infinity outside that range (no guarantee).
 */
export function rdpSmoothSensitivityGaussian(beta: number, sigma: number, order: number): number {
  if (beta > 0 && !(order > 1 && order < 1 / (2 * beta))) return Infinity;
  return (
    (order * Math.exp(2 * beta)) / sigma ** 2 + (-0.5 * Math.log(1 - 2 * order * beta) + beta * order) / (order - 1)
  );
}

/** numpy.arange(start, stop, step) for floats: ceil((stop - start)/step) values start + i * ((start + step) - start). */
export function numpyArange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n === 0) return [];
  const delta = start + step - start;
  const out = [start];
  for (let i = 1; i < n; i++) out.push(start + i * delta);
  return out;
}

/** The beta grid of the ICLR 2018 scripts, arange(.3/order, .495/order, .01/order). */
export function smoothSensitivityBetaGrid(order: number): number[] {
  return numpyArange(0.3 / order, 0.495 / order, 0.01 / order);
}

export interface SmoothSensitivityReleaseInput {
  readonly votes: readonly (readonly number[])[];
  readonly baseline?: readonly (readonly number[])[];
  readonly numTeachers: number;
  /** Omit threshold and sigma1 for plain GNMax. */
  readonly threshold?: number;
  readonly sigma1?: number;
  readonly sigma2: number;
  readonly delta: number;
  readonly order: number;
  /** Data-independent bound for step 1 / step 2 (see isDataIndependentStep1/2). */
  readonly dataIndependentStep1: boolean;
  readonly dataIndependentStep2: boolean;
  /** Defaults to smoothSensitivityBetaGrid(order). */
  readonly betas?: readonly number[];
}

export interface SmoothSensitivityRelease {
  readonly expectedAnswered: number;
  /** Expected data-dependent RDP at the order (threshold + Pr[answered] GNMax). */
  readonly rdpExpected: number;
  /** Expected local sensitivity at distance d (threshold LS + Pr[answered] GNMax LS). */
  readonly expectedLocalSensitivity: Float64Array;
  readonly betaOpt: number;
  readonly ssOpt: number;
  readonly sigmaSsOpt: number;
  /** rdpExpected + ln(1/delta)/(order - 1). */
  readonly epsBeforeSs: number;
  readonly rdpGnss: number;
  /** epsBeforeSs + RDP of the smooth-sensitivity release (Thm 23). */
  readonly epsWithSs: number;
  /** ssOpt * sigmaSsOpt: the standard deviation of the noise on the released cost. */
  readonly ssNoiseStd: number;
}

/**
 * Chooses (beta, sigma_ss) for releasing the expected data-dependent RDP of Confident-GNMax with GNSS, minimising
 * rdp + GNSS cost + 2 ss sigma_ss over the beta grid, with sigma_ss = (order e^{2 beta} / ss)^{1/3} (the minimiser of
 * order e^{2 beta}/sigma^2 + 2 ss sigma); smooth_sensitivity_table._find_optimal_smooth_sensitivity_parameters.
 * The result is itself a function of private votes: only the noisy release may be published.
 */
export function findOptimalSmoothSensitivityParameters(input: SmoothSensitivityReleaseInput): SmoothSensitivityRelease {
  const { votes, baseline, numTeachers, threshold, sigma1, sigma2, delta, order } = input;
  const betas = input.betas ?? smoothSensitivityBetaGrid(order);
  const hasThreshold = threshold !== undefined && sigma1 !== undefined;
  let rdpCum = 0;
  let answeredCum = 0;
  const lsCum = new Float64Array(numTeachers);
  const costDelta = Math.log(1 / delta) / (order - 1);
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i]!;
    const b = baseline?.[i];
    let logPr = 0;
    let rdp1 = 0;
    if (hasThreshold) {
      logPr = computeLogprAnswered(threshold, sigma1, v, b);
      if (input.dataIndependentStep1) {
        rdp1 = order / (2 ** 0.5 * sigma1) ** 2;
      } else {
        rdp1 = rdpThreshold(logPr, sigma1, [order])[0]!;
        const ls1 = localSensitivityBoundsThreshold(v, numTeachers, threshold, sigma1, order, b);
        for (let d = 0; d < numTeachers; d++) lsCum[d] = lsCum[d]! + ls1[d]!;
      }
    }
    const pr = Math.exp(logPr);
    answeredCum += pr;
    let rdp2: number;
    if (input.dataIndependentStep2) {
      rdp2 = order / sigma2 ** 2;
    } else {
      rdp2 = rdpGnmaxThm6Checked(computeLogqGaussian(v, sigma2), sigma2, order);
      const ls2 = localSensitivityBoundsGnmax(v, numTeachers, sigma2, order);
      for (let d = 0; d < numTeachers; d++) lsCum[d] = lsCum[d]! + pr * ls2[d]!;
    }
    rdpCum += rdp1 + pr * rdp2;
  }
  let betaOpt = 0;
  let ssOpt = 0;
  let sigmaSsOpt = Infinity;
  if (!(input.dataIndependentStep1 && input.dataIndependentStep2)) {
    let costOpt = Infinity;
    betaOpt = NaN;
    ssOpt = NaN;
    sigmaSsOpt = NaN;
    for (const beta of betas) {
      const ss = computeDiscountedMax(beta, lsCum);
      const sigmaSs = ((order * Math.exp(2 * beta)) / ss) ** (1 / 3);
      const costSs = rdpSmoothSensitivityGaussian(beta, sigmaSs, order);
      const cost = rdpCum + costSs + 2 * ss * sigmaSs;
      if (cost < costOpt) {
        costOpt = cost;
        betaOpt = beta;
        ssOpt = ss;
        sigmaSsOpt = sigmaSs;
      }
    }
  }
  const epsBeforeSs = rdpCum + costDelta;
  const rdpGnss = Number.isNaN(betaOpt) ? Infinity : rdpSmoothSensitivityGaussian(betaOpt, sigmaSsOpt, order);
  return {
    expectedAnswered: answeredCum,
    rdpExpected: rdpCum,
    expectedLocalSensitivity: lsCum,
    betaOpt,
    ssOpt,
    sigmaSsOpt,
    epsBeforeSs,
    rdpGnss,
    epsWithSs: epsBeforeSs + rdpGnss,
    ssNoiseStd: ssOpt * sigmaSsOpt,
  };
}

/** core.rdp_gaussian at a single order. */
function rdpGnmaxThm6Checked(logq: number, sigma: number, order: number): number {
  return rdpGaussian(logq, sigma, [order])[0]!;
}

/**
 * Conditions C5 and C6 of Scalable PATE App. B.4.2 (smooth_sensitivity.check_conditions), checked numerically:
 * C5: the Thm 6 bound beta(q) is non-decreasing on (0, q0]; C6: beta(B_u(q)) - beta(q) is non-decreasing on
 * (0, B_l(q0)]. The reference minimises the symbolic derivative; here both functions are evaluated on a dense grid of
 * ln q (plus a linear grid near the right end) and must not decrease beyond rounding.
 */
export function checkSmoothSensitivityConditions(sigma: number, numClasses: number, order: number): [boolean, boolean] {
  const logq0 = computeLogq0Gnmax(sigma, order);
  if (logq0 === -Infinity) return [false, false];
  const betaFn = (logq: number): number => dataDependentBoundGnmax(sigma, logq, order);
  const cond5 = isNonDecreasingOnGrid(betaFn, logq0);
  if (!cond5) return [false, false];
  const logBlQ0 = logBlGnmax(logq0, sigma, numClasses);
  const deltaBeta = (logq: number): number => {
    const x = erfcinvFromLog(Math.min(0, Math.log(2) + logq - Math.log(numClasses - 1)));
    const logBu = Math.log((numClasses - 1) / 2) + logErfc(x - 1 / sigma);
    return betaFn(logBu) - betaFn(logq);
  };
  return [cond5, isNonDecreasingOnGrid(deltaBeta, logBlQ0)];
}

function isNonDecreasingOnGrid(fn: (logq: number) => number, logUpper: number): boolean {
  const points: number[] = [];
  const span = 60;
  const nLog = 600;
  for (let i = 0; i <= nLog; i++) points.push(logUpper - span + (span * i) / nLog);
  const qUpper = Math.exp(logUpper);
  for (let i = 1; i <= 200; i++) points.push(Math.log((qUpper * i) / 200));
  points.sort((a, b) => a - b);
  let prev = -Infinity;
  for (const p of points) {
    const val = fn(Math.min(p, logUpper));
    if (Number.isNaN(val)) return false;
    if (val < prev - 1e-12 * Math.max(1, Math.abs(prev))) return false;
    prev = Math.max(prev, val);
  }
  return true;
}
