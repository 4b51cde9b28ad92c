// Privacy analysis of LNMax (Laplace noisy max over teacher votes).
// - PATE 2017 (Papernot et al. ICLR 2017, Thm 3 / Lemma 4, research/pate_2017/analysis.py): q bound
//   compute_q_noisy_max, the data-dependent log moment logmgf_exact, and the moments accountant.
// - Scalable PATE 2018 core.py: compute_logq_laplace (the same Lemma 4 bound in log space) and rdp_pure_eps.

import { DpError } from '../errors/dp-error.js';
import { log1mexp, logSumExp } from '../numerics/log-math.js';
import { argmaxFirst } from './gnmax-analysis.js';
import { assertOrders, assertPositive, assertVotes, type Orders } from './rdp-orders-check.js';

/**
 * PATE 2017 Lemma 4 (analysis.compute_q_noisy_max): Pr[noisy max != winner] <= sum_{j != i*} (2 + g_j) / (4 e^{g_j}),
 * g_j = gamma (n_i* - n_j), capped at 1 - 1/m. i* is the first argmax.
 */
export function computeQNoisyMax(votes: ArrayLike<number>, gamma: number): number {
  assertVotes(votes, 'computeQNoisyMax', 2);
  const w = argmaxFirst(votes);
  let q = 0;
  for (let j = 0; j < votes.length; j++) {
    if (j === w) continue;
    const gap = -(gamma * (votes[j]! - votes[w]!));
    q += (gap + 2) / (4 * Math.exp(gap));
  }
  return Math.min(q, 1 - 1 / votes.length);
}

/**
 * PATE 2017 Thm 3 (analysis.logmgf_exact): log moment at l of a privEps-DP mechanism whose output is the mode
 * with probability 1 - q: min(privEps^2 l (l+1) / 2, log((1-q)((1-q)/(1-e^eps q))^l + q e^{eps l}), eps l).
 * The middle term applies only for q < 1/2 and when it is a finite log; otherwise eps l.
 */
export function logmgfExact(q: number, privEps: number, l: number): number {
  let logT = privEps * l;
  if (q < 0.5) {
    const tOne = (1 - q) * Math.pow((1 - q) / (1 - Math.exp(privEps) * q), l);
    const tTwo = q * Math.exp(privEps * l);
    const t = tOne + tTwo;
    if (t > 0 && Number.isFinite(t)) logT = Math.log(t);
  }
  return Math.min(0.5 * privEps * privEps * l * (l + 1), logT, privEps * l);
}

/** PATE 2017 (analysis.logmgf_from_counts): LNMax with Laplace(1/gamma) noise is 2 gamma-DP on vote histograms. */
export function logmgfFromCounts(votes: ArrayLike<number>, gamma: number, l: number): number {
  return logmgfExact(computeQNoisyMax(votes, gamma), 2 * gamma, l);
}

export interface MomentsAccountantResult {
  readonly totalLogmgfPerL: number[];
  readonly epsPerL: number[];
  readonly eps: number;
  readonly lOpt: number;
}

/** PATE 2017 moments accountant (Abadi et al. 2016 Thm 2): eps = min_l (sum_q logmgf_q(l) + ln(1/delta)) / l. */
export function momentsAccountantEps(
  totalLogmgfPerL: readonly number[],
  moments: readonly number[],
  delta: number,
): MomentsAccountantResult {
  const epsPerL = totalLogmgfPerL.map((t, i) => (t - Math.log(delta)) / moments[i]!);
  let best = 0;
  for (let i = 1; i < epsPerL.length; i++) if (epsPerL[i]! < epsPerL[best]!) best = i;
  return { totalLogmgfPerL: [...totalLogmgfPerL], epsPerL, eps: epsPerL[best]!, lOpt: moments[best]! };
}

/** PATE 2017 analysis of a sequence of LNMax answers: data-dependent sum of log moments per l. */
export function lnmaxTotalLogmgf(
  votes: readonly (readonly number[])[],
  gamma: number,
  moments: readonly number[],
): number[] {
  assertPositive(gamma, 'gamma', 'lnmaxTotalLogmgf');
  const total = moments.map(() => 0);
  for (const v of votes) {
    const q = computeQNoisyMax(v, gamma);
    for (let i = 0; i < moments.length; i++) total[i] = total[i]! + logmgfExact(q, 2 * gamma, moments[i]!);
  }
  return total;
}

/**
 * Scalable PATE core.compute_logq_laplace: ln of the Lemma 4 bound for Laplace noise of scale lambda,
 * log sum_{j != i*} (2 + g_j)/4 e^{-g_j}, g_j = (n_i* - n_j)/lambda; capped at ln(1 - 1/m).
 */
export function computeLogqLaplace(votes: ArrayLike<number>, lambda: number): number {
  assertVotes(votes, 'computeLogqLaplace', 2);
  assertPositive(lambda, 'lambda', 'computeLogqLaplace');
  const w = argmaxFirst(votes);
  const terms: number[] = [];
  for (let j = 0; j < votes.length; j++) {
    if (j === w) continue;
    const c = (votes[j]! - votes[w]!) / lambda;
    terms.push(Math.log(2 - c) + Math.log(0.25) + c);
  }
  return Math.min(logSumExp(terms), Math.log(1 - 1 / votes.length));
}

/**
 * RDP of a pure eps-DP mechanism whose likely outcome has probability 1 - q (core.rdp_pure_eps; PATE 2017 Thm 3 read
 * as RDP at order alpha = l + 1): min(eps^2 alpha / 2, log t / (alpha - 1), eps) with
 * t = (1-q)((1-q)/(1-e^eps q))^{alpha-1} + q e^{eps (alpha-1)}, used only when q <= 1/(e^eps + 1).
 */
export function rdpPureEps(logq: number, pureEps: number, orders: Orders): Float64Array {
  assertOrders(orders, 'rdpPureEps');
  if (!(logq <= 0)) throw new DpError('INVALID_ARGUMENT', `rdpPureEps: logq must be <= 0, got ${logq}`);
  if (!(pureEps >= 0)) throw new DpError('INVALID_ARGUMENT', `rdpPureEps: pureEps must be >= 0, got ${pureEps}`);
  const q = Math.exp(logq);
  const useData = q <= 1 / (Math.exp(pureEps) + 1);
  const log1q = Math.log1p(-q);
  const out = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    let logT = Infinity;
    if (useData) {
      const one = log1q + (log1q - log1mexp(pureEps + logq)) * (a - 1);
      const two = logq + pureEps * (a - 1);
      logT = one > two ? one + Math.log1p(Math.exp(two - one)) : two + Math.log1p(Math.exp(one - two));
    }
    out[i] = Math.min(Math.min(0.5 * pureEps * pureEps * a, logT / (a - 1)), pureEps);
  }
  return out;
}
