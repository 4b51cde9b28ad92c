// Sequence analysis of Confident-GNMax and Interactive-GNMax (Scalable PATE sect. 4.2, Alg. 1 and 2).
// Per query: threshold step (always charged) then GNMax (charged only if the query was answered).
// - realised charging (the default in Conclave): threshold cost + [answered] * GNMax cost, on the stored outcome.
// - expected charging (the papers' tables, smooth_sensitivity_table._compute_rdp): threshold cost +
//   Pr[answered] * GNMax cost.
// - the reference --data_independent mode: both steps data-independent, still weighted by the data-dependent
//   Pr[answered] (reproduced for comparison with the papers, not used for charging).
// Interactive-GNMax applies the threshold to votes - baseline; GNMax always sees the raw votes.

import { DpError } from '../errors/dp-error.js';
import {
  addRdpGaussian,
  addRdpGaussianTwice,
  computeLogqGaussian,
  GnmaxTailCache,
  rdpDataIndependentGaussian,
} from './gnmax-analysis.js';
import { assertOrders, assertPositive, type Orders } from './rdp-orders-check.js';
import {
  addRdpThreshold,
  logprAnsweredFromRoundedMax,
  rdpDataIndependentThreshold,
  roundedMaxVote,
} from './threshold-analysis.js';

export interface ConfidentGnmaxParameters {
  readonly threshold: number;
  readonly sigma1: number;
  readonly sigma2: number;
}

export interface ConfidentGnmaxSequenceInput extends ConfidentGnmaxParameters {
  readonly votes: readonly (readonly number[])[];
  /** Interactive-GNMax: the student's baseline per query (same shape as votes). */
  readonly baseline?: readonly (readonly number[])[];
  readonly orders: Orders;
  /** Realised outcome of the threshold step per query; omit to skip the realised curves. */
  readonly answeredMask?: readonly boolean[];
}

export interface ConfidentGnmaxSequenceAnalysis {
  readonly prAnsweredPerQuery: Float64Array;
  readonly expectedAnswered: number;
  /** sum_i rdp_threshold_i (data-dependent). */
  readonly rdpStep1DataDependent: Float64Array;
  /** sum_i rdp_threshold_i + Pr_i[answered] rdp_gnmax_i (data-dependent; the papers' tables). */
  readonly rdpExpectedDataDependent: Float64Array;
  /** Reference --data_independent mode: sum_i alpha/(2 s1^2) + Pr_i[answered] alpha/s2^2. */
  readonly rdpExpectedDataIndependentRefMode: Float64Array;
  /** Present when answeredMask was given. */
  readonly numAnsweredRealized?: number;
  readonly rdpRealizedDataDependent?: Float64Array;
  readonly rdpRealizedDataIndependent?: Float64Array;
}

/**
 * Caches the threshold step's RDP curve by the rounded max vote: the threshold analysis depends on the votes
 * only through round(max(votes - baseline)), so a sequence of queries needs at most numTeachers + 1 curves.
 * Bounded: cleared when it would exceed maxEntries (fractional Interactive votes can produce many keys).
 */
export class ThresholdCurveCache {
  private readonly curves = new Map<number, { logPr: number; rdp: Float64Array }>();

  constructor(
    readonly threshold: number,
    readonly sigma1: number,
    private readonly orders: Orders,
    private readonly maxEntries = 4096,
  ) {}

  get(roundedMax: number): { logPr: number; rdp: Float64Array } {
    let c = this.curves.get(roundedMax);
    if (c === undefined) {
      const logPr = logprAnsweredFromRoundedMax(this.threshold, this.sigma1, roundedMax);
      const rdp = new Float64Array(this.orders.length);
      addRdpThreshold(logPr, this.sigma1, this.orders, rdp);
      c = { logPr, rdp };
      if (this.curves.size >= this.maxEntries) this.curves.clear();
      this.curves.set(roundedMax, c);
    }
    return c;
  }
}

/**
 * Data-dependent Confident-GNMax / Interactive-GNMax analysis of a sequence of queries (see file header).
 * Both step costs are functions of one number per query (the rounded max vote for the threshold, logq for GNMax),
 * so the curves are computed once per distinct value and added with the summed weights of the queries sharing it.
 */
export function analyzeConfidentGnmaxSequence(input: ConfidentGnmaxSequenceInput): ConfidentGnmaxSequenceAnalysis {
  const { votes, baseline, threshold, sigma1, sigma2, orders, answeredMask } = input;
  assertOrders(orders, 'analyzeConfidentGnmaxSequence');
  assertPositive(sigma1, 'sigma1', 'analyzeConfidentGnmaxSequence');
  assertPositive(sigma2, 'sigma2', 'analyzeConfidentGnmaxSequence');
  if (!Number.isFinite(threshold))
    throw new DpError('INVALID_ARGUMENT', 'analyzeConfidentGnmaxSequence: threshold must be finite');
  if (baseline !== undefined && baseline.length !== votes.length) {
    throw new DpError('INVALID_ARGUMENT', 'analyzeConfidentGnmaxSequence: baseline must have one row per query');
  }
  if (answeredMask !== undefined && answeredMask.length !== votes.length) {
    throw new DpError('INVALID_ARGUMENT', 'analyzeConfidentGnmaxSequence: answeredMask must have one entry per query');
  }
  const n = orders.length;
  const prAnswered = new Float64Array(votes.length);
  // Group the queries: threshold by rounded max vote, GNMax by logq (exact float keys; no approximation).
  const thresholdGroups = new Map<number, number>(); // rounded max -> number of queries
  const gnmaxGroups = new Map<number, { expected: number; realized: number }>(); // logq -> weights
  let expectedAnswered = 0;
  let numAnswered = 0;
  const logPrByMax = new Map<number, number>();
  const tails = new GnmaxTailCache(sigma2);
  for (let q = 0; q < votes.length; q++) {
    const v = votes[q]!;
    const roundedMax = roundedMaxVote(v, baseline?.[q]);
    let logPr = logPrByMax.get(roundedMax);
    if (logPr === undefined) {
      logPr = logprAnsweredFromRoundedMax(threshold, sigma1, roundedMax);
      logPrByMax.set(roundedMax, logPr);
    }
    const pr = Math.exp(logPr);
    prAnswered[q] = pr;
    expectedAnswered += pr;
    thresholdGroups.set(roundedMax, (thresholdGroups.get(roundedMax) ?? 0) + 1);
    const answered = answeredMask?.[q] === true;
    if (answered) numAnswered++;
    const logq = tails.logq(v);
    const g = gnmaxGroups.get(logq);
    if (g === undefined) gnmaxGroups.set(logq, { expected: pr, realized: answered ? 1 : 0 });
    else {
      g.expected += pr;
      if (answered) g.realized += 1;
    }
  }

  const step1 = new Float64Array(n);
  const thrCurve = new Float64Array(n);
  for (const [roundedMax, count] of thresholdGroups) {
    thrCurve.fill(0);
    addRdpThreshold(logPrByMax.get(roundedMax)!, sigma1, orders, thrCurve);
    for (let i = 0; i < n; i++) step1[i] = step1[i]! + count * thrCurve[i]!;
  }
  const gnmaxExpected = new Float64Array(n);
  const gnmaxRealized = new Float64Array(n);
  for (const [logq, w] of gnmaxGroups) {
    addRdpGaussianTwice(
      logq,
      sigma2,
      orders,
      gnmaxExpected,
      w.expected,
      answeredMask === undefined ? undefined : gnmaxRealized,
      w.realized,
    );
  }

  const ind1 = rdpDataIndependentThreshold(sigma1, orders);
  const ind2 = rdpDataIndependentGaussian(sigma2, orders);
  const expected = new Float64Array(n);
  const realized = new Float64Array(n);
  const refMode = new Float64Array(n);
  const realizedInd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    expected[i] = step1[i]! + gnmaxExpected[i]!;
    realized[i] = step1[i]! + gnmaxRealized[i]!;
    refMode[i] = votes.length * ind1[i]! + expectedAnswered * ind2[i]!;
    realizedInd[i] = votes.length * ind1[i]! + numAnswered * ind2[i]!;
  }
  const base = {
    prAnsweredPerQuery: prAnswered,
    expectedAnswered,
    rdpStep1DataDependent: step1,
    rdpExpectedDataDependent: expected,
    rdpExpectedDataIndependentRefMode: refMode,
  };
  if (answeredMask === undefined) return base;
  return {
    ...base,
    numAnsweredRealized: numAnswered,
    rdpRealizedDataDependent: realized,
    rdpRealizedDataIndependent: realizedInd,
  };
}

export interface ConfidentGnmaxQuery extends ConfidentGnmaxParameters {
  readonly votes: ArrayLike<number>;
  readonly baseline?: ArrayLike<number>;
  readonly charging: 'realised' | 'expected';
  readonly answered?: boolean;
  readonly dataIndependent?: boolean;
}

/** Supplies the threshold step's curve for a rounded max vote (lets the accountant reuse cached curves). */
export type ThresholdCurveSource = (
  threshold: number,
  sigma1: number,
  roundedMax: number,
) => { logPr: number; rdp: Float64Array };

/**
 * Adds the RDP of one Confident-GNMax query into out (the accountant's incremental charge):
 * realised = threshold + [answered] GNMax; expected = threshold + Pr[answered] GNMax (Scalable PATE Alg. 1).
 */
export function addRdpConfidentGnmaxQuery(
  query: ConfidentGnmaxQuery,
  orders: Orders,
  out: Float64Array,
  weight = 1,
  thresholdCurves?: ThresholdCurveSource,
  gnmaxTails?: GnmaxTailCache,
): void {
  const roundedMax = roundedMaxVote(query.votes, query.baseline);
  const cached = thresholdCurves?.(query.threshold, query.sigma1, roundedMax);
  const logPr = cached?.logPr ?? logprAnsweredFromRoundedMax(query.threshold, query.sigma1, roundedMax);
  const gnmaxWeight = query.charging === 'realised' ? (query.answered === true ? 1 : 0) : Math.exp(logPr);
  if (query.dataIndependent === true) {
    const s1 = 2 * query.sigma1 ** 2;
    const s2 = query.sigma2 ** 2;
    for (let i = 0; i < orders.length; i++) {
      const a = orders[i]!;
      out[i] = out[i]! + weight * (a / s1 + gnmaxWeight * (a / s2));
    }
    return;
  }
  if (cached !== undefined) {
    const t = cached.rdp;
    for (let i = 0; i < orders.length; i++) out[i] = out[i]! + weight * t[i]!;
  } else {
    addRdpThreshold(logPr, query.sigma1, orders, out, weight);
  }
  if (gnmaxWeight > 0) {
    const logq =
      gnmaxTails !== undefined && gnmaxTails.sigma === query.sigma2
        ? gnmaxTails.logq(query.votes)
        : computeLogqGaussian(query.votes, query.sigma2);
    addRdpGaussian(logq, query.sigma2, orders, out, weight * gnmaxWeight);
  }
}
