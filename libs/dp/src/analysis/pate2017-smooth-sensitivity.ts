// Smooth sensitivity of the PATE 2017 data-dependent log moment, reproduced as written in
// research/pate_2017/analysis.py (sens_at_k, smoothed_sens) so that the 2017 numbers can be recomputed.
// Quirk kept on purpose: the early exit tests counts[0] < counts[1] + k on the UNSORTED counts (the intent was the
// sorted top two), so a histogram whose argmax is not first reports 0. Not used for any Conclave release.

import { logmgfFromCounts } from './lnmax-analysis.js';

/** analysis.sens_at_k: change of logmgf_from_counts when one more vote moves from the top class to the runner-up. */
export function pate2017SensAtK(votes: readonly number[], gamma: number, l: number, k: number): number {
  const sorted = [...votes].sort((a, b) => b - a);
  if (0.5 * gamma * l > 1) return 0;
  if (votes[0]! < votes[1]! + k) return 0;
  sorted[0] = sorted[0]! - k;
  sorted[1] = sorted[1]! + k;
  const val = logmgfFromCounts(sorted, gamma, l);
  sorted[0] = sorted[0]! - 1;
  sorted[1] = sorted[1]! + 1;
  const valChanged = logmgfFromCounts(sorted, gamma, l);
  return valChanged - val;
}

/** analysis.smoothed_sens: max_k e^{-beta k} sens_at_k, stopping at the first k whose sensitivity is 0. */
export function pate2017SmoothedSens(votes: readonly number[], gamma: number, l: number, beta: number): number {
  let k = 0;
  let smoothed = pate2017SensAtK(votes, gamma, l, k);
  const maxCount = Math.max(...votes);
  while (k < maxCount) {
    k++;
    const s = pate2017SensAtK(votes, gamma, l, k);
    smoothed = Math.max(smoothed, Math.exp(-beta * k) * s);
    if (s === 0) break;
  }
  return smoothed;
}
