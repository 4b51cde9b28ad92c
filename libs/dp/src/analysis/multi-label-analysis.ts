// Multi-label PATE (Dziedzic et al. 2022, "Private Multi-Winner Voting for Machine Learning"): every teacher votes a
// binary vector over k labels; per label the released bit is a binary GNMax on [no votes, yes votes] with noise
// N(0, sigma^2) on each count. Replacing one teacher changes each label's histogram by at most one vote moving
// between its two bins (L2 change sqrt 2 per label), so the whole release is GNMax-like with data-independent RDP
// k alpha / sigma^2 = alpha / (sigma / sqrt k)^2. With tau-clipping (each teacher's vote vector L2-clipped to norm
// tau) the change is bounded by the clipped norms instead: an effective label count kEff = min(k, 4 tau^2).
// Data-dependent bound: Scalable PATE Thm 6 with q = Pr[released vector != per-label majority] bounded by the union
// bound over labels of the binary GNMax logq (Prop 7), capped at ln(1 - 2^-k).

import { log1mexp, logSumExp } from '../numerics/log-math.js';
import { addRdpGaussian, computeLogqGaussian } from './gnmax-analysis.js';
import { assertOrders, assertPositive, type Orders } from './rdp-orders-check.js';

export interface MultiLabelVotes {
  /** positives[j] = number of teachers voting yes on label j. */
  readonly positives: ArrayLike<number>;
  readonly numTeachers: number;
  readonly sigma: number;
  /** Optional L2 clipping norm of each teacher's vote vector. */
  readonly tau?: number;
}

/**
 * Effective number of labels a single teacher can change, in units of one full binary vote (squared L2 change 2 on
 * its [no, yes] histogram): k without clipping. With tau-clipping, replacing a teacher changes its vote vector by
 * ||v - v'|| <= 2 tau, i.e. squared change 2 ||v - v'||^2 <= 8 tau^2 on the histograms, so kEff = min(k, 4 tau^2).
 */
export function multiLabelEffectiveLabels(numLabels: number, tau?: number): number {
  return tau === undefined ? numLabels : Math.min(numLabels, 4 * tau * tau);
}

/** Noise of the single-label GNMax that has the same data-independent RDP as the whole multi-label release. */
export function multiLabelEquivalentSigma(v: MultiLabelVotes): number {
  return v.sigma / Math.sqrt(multiLabelEffectiveLabels(v.positives.length, v.tau));
}

/** Union bound over labels of Pr[the noisy bit differs from the majority] (Prop 7 per label), capped at ln(1 - 2^-k). */
export function computeLogqMultiLabel(v: MultiLabelVotes): number {
  assertPositive(v.sigma, 'sigma', 'computeLogqMultiLabel');
  const k = v.positives.length;
  const terms: number[] = [];
  for (let j = 0; j < k; j++) {
    const yes = v.positives[j]!;
    terms.push(computeLogqGaussian([v.numTeachers - yes, yes], v.sigma));
  }
  const cap = log1mexp(-k * Math.LN2);
  return Math.min(logSumExp(terms), cap);
}

/** RDP of one multi-label release: data-independent k alpha / sigma^2, or Thm 6 on the union-bound q. */
export function rdpMultiLabelGnmax(v: MultiLabelVotes, orders: Orders, dataDependent: boolean): Float64Array {
  assertOrders(orders, 'rdpMultiLabelGnmax');
  const out = new Float64Array(orders.length);
  addRdpMultiLabelGnmax(v, orders, out, dataDependent);
  return out;
}

export function addRdpMultiLabelGnmax(
  v: MultiLabelVotes,
  orders: Orders,
  out: Float64Array,
  dataDependent: boolean,
  weight = 1,
): void {
  const sigmaEq = multiLabelEquivalentSigma(v);
  if (dataDependent) {
    addRdpGaussian(computeLogqMultiLabel(v), sigmaEq, orders, out, weight);
    return;
  }
  for (let i = 0; i < orders.length; i++) out[i] = out[i]! + weight * (orders[i]! / sigmaEq ** 2);
}
