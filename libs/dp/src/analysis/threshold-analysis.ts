// Privacy analysis of the threshold step of Confident-GNMax (Scalable PATE sect. 4.2, Alg. 1, and App. B):
// "max vote + N(0, sigma1^2) >= T". Its input (the max vote) has sensitivity 1 where GNMax's histogram has 2, so
// its RDP is that of GNMax at sqrt(2) sigma1, and the data-dependent bound is Thm 6 applied to
// q = min(Pr[answered], Pr[not answered]).

import { log1mexp } from '../numerics/log-math.js';
import { logsf } from '../numerics/normal-tail.js';
import { roundHalfEven } from '../numerics/python-rounding.js';
import { addRdpGaussian, numpyIsClose, rdpDataIndependentGaussian, rdpGaussian } from './gnmax-analysis.js';
import { assertPositive, assertVotes, type Orders } from './rdp-orders-check.js';

/** max(votes - baseline), rounded half to even as the reference's Python round() (core.compute_logpr_answered). */
export function roundedMaxVote(votes: ArrayLike<number>, baseline?: ArrayLike<number>): number {
  assertVotes(votes, 'roundedMaxVote');
  let m = -Infinity;
  for (let i = 0; i < votes.length; i++) {
    const v = baseline === undefined ? votes[i]! : votes[i]! - baseline[i]!;
    if (v > m) m = v;
  }
  return roundHalfEven(m);
}

/**
 * ln Pr[round(max(votes - baseline)) + N(0, sigma1^2) >= T] = logsf(T - round(max), sigma1)
 * (core.compute_logpr_answered; Interactive-GNMax passes votes minus the student's baseline).
 */
export function computeLogprAnswered(
  threshold: number,
  sigma1: number,
  votes: ArrayLike<number>,
  baseline?: ArrayLike<number>,
): number {
  assertPositive(sigma1, 'sigma1', 'computeLogprAnswered');
  return logprAnsweredFromRoundedMax(threshold, sigma1, roundedMaxVote(votes, baseline));
}

/** logsf(T - roundedMax, sigma1): the threshold step depends on the votes only through the rounded max. */
export function logprAnsweredFromRoundedMax(threshold: number, sigma1: number, roundedMax: number): number {
  return logsf(threshold - roundedMax, sigma1);
}

/** q of the threshold step: min(Pr[answered], Pr[not answered]) in log space (core.compute_rdp_threshold). */
export function thresholdLogq(logPrAnswered: number): number {
  return Math.min(logPrAnswered, log1mexp(Math.min(logPrAnswered, 0)));
}

/** sqrt(2) sigma1: the GNMax-equivalent noise of the sensitivity-1 threshold step. */
export function thresholdEquivalentSigma(sigma1: number): number {
  return 2 ** 0.5 * sigma1;
}

/** Data-independent RDP of the threshold step, alpha / (2 sigma1^2) (core.compute_rdp_data_independent_threshold). */
export function rdpDataIndependentThreshold(sigma1: number, orders: Orders): Float64Array {
  return rdpDataIndependentGaussian(thresholdEquivalentSigma(sigma1), orders);
}

/** Data-dependent RDP of the threshold step (Scalable PATE Thm 6 on q = min(p, 1-p); core.compute_rdp_threshold). */
export function rdpThreshold(logPrAnswered: number, sigma1: number, orders: Orders): Float64Array {
  return rdpGaussian(thresholdLogq(logPrAnswered), thresholdEquivalentSigma(sigma1), orders);
}

/** Adds weight * rdpThreshold into out (accountant fast path). */
export function addRdpThreshold(
  logPrAnswered: number,
  sigma1: number,
  orders: Orders,
  out: Float64Array,
  weight = 1,
): void {
  addRdpGaussian(thresholdLogq(logPrAnswered), thresholdEquivalentSigma(sigma1), orders, out, weight);
}

/**
 * Per order: is the data-independent bound always optimal for the threshold step
 * (core.is_data_independent_always_opt_threshold)? Checked at the extremes max vote = 0 and = numTeachers.
 */
export function isDataIndependentAlwaysOptThreshold(
  numTeachers: number,
  threshold: number,
  sigma1: number,
  orders: Orders,
): boolean[] {
  const dep1 = rdpThreshold(logprAnsweredFromRoundedMax(threshold, sigma1, 0), sigma1, orders);
  const dep2 = rdpThreshold(logprAnsweredFromRoundedMax(threshold, sigma1, roundHalfEven(numTeachers)), sigma1, orders);
  const ind = rdpDataIndependentThreshold(sigma1, orders);
  return Array.from(ind, (r, i) => numpyIsClose(dep1[i]!, r) && numpyIsClose(dep2[i]!, r));
}
