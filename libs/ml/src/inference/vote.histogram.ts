import { DomainError } from '@conclave/common';
import type { VoteMatrix } from './ensemble.inference.js';

/** The histogram of one query's class votes: `counts[c]` = how many models voted c. */
export function histogramOf(votes: ArrayLike<number>, numClasses: number): Int32Array {
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < votes.length; i++) {
    const c = votes[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses)
      throw new DomainError('VALIDATION_FAILED', 'a vote is out of range');
    counts[c] += 1;
  }
  return counts;
}

/**
 * One histogram per query. For class votes, counts per class (summing to the number of models); for
 * multi-label votes, the number of models voting each class positive (each class is a separate yes/no vote).
 * The result is what libs/dp's mechanisms take.
 */
export function voteHistogram(matrix: VoteMatrix, numClasses: number = matrix.numClasses): Int32Array[] {
  const histograms: Int32Array[] = [];
  if (matrix.kind === 'class') {
    for (let q = 0; q < matrix.numQueries; q++) {
      histograms.push(histogramOf(matrix.votes.subarray(q * matrix.numModels, (q + 1) * matrix.numModels), numClasses));
    }
    return histograms;
  }
  if (numClasses !== matrix.numClasses) throw new DomainError('VALIDATION_FAILED', 'numClasses differs from the votes');
  const per = matrix.numModels * numClasses;
  for (let q = 0; q < matrix.numQueries; q++) {
    const counts = new Int32Array(numClasses);
    for (let m = 0; m < matrix.numModels; m++) {
      for (let c = 0; c < numClasses; c++) counts[c] += matrix.votes[q * per + m * numClasses + c];
    }
    histograms.push(counts);
  }
  return histograms;
}
