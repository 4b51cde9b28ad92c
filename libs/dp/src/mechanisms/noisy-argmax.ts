import type { Rng } from '../rng/rng.js';

/**
 * Report Noisy Max (Dwork & Roth 2014, sect. 3.3; PATE's aggregation): argmax_j (values[j] + noise()), ties broken uniformly at random through the Rng
 * (with discrete noise ties have positive probability, so the first-index rule of numpy would bias the release).
 */
export function noisyArgmax(values: ArrayLike<number>, rng: Rng, noise: (rng: Rng) => number): number {
  let best = -Infinity;
  let ties = 0;
  let winner = -1;
  for (let j = 0; j < values.length; j++) {
    const x = values[j] + noise(rng);
    if (x > best) {
      best = x;
      winner = j;
      ties = 1;
    } else if (x === best) {
      // Reservoir choice over the tied maxima: the j-th tie replaces the winner with probability 1/ties.
      ties++;
      if (rng.randomInt(ties) === 0) winner = j;
    }
  }
  return winner;
}

/** argmax with uniformly random tie-breaking, no noise (the student's own label in Interactive-GNMax). */
export function argmaxRandomTies(values: ArrayLike<number>, rng: Rng): number {
  return noisyArgmax(values, rng, () => 0);
}
