import { CryptoError } from '../errors/crypto-error.js';

/** Most classes an argmax accepts: the pairwise comparisons grow as k^2 / 2. */
export const MAX_ARGMAX_CLASSES = 256;

/**
 * The fixed schedule of the secure argmax for `classes` values in Z_p, p of `bitLength` bits. Both parties and
 * the dealer derive it from (classes, bitLength) alone, so it never travels.
 *
 * - every pair i < j is compared at once: [v_i >= v_j] via the LSB of 2(v_i - v_j) mod p (Nishide & Ohta, PKC
 *   2007): one opening of 2d + r, a suffix-OR over the bits of r against the public opening (Sklansky's
 *   parallel prefix, ceil(log2 L) rounds of Beaver products), one Beaver product for the final XOR;
 * - the one-hot entry of class i is the product of its k - 1 pairwise wins, with ties broken towards the lowest
 *   index (for j < i the factor is [v_j < v_i]), as a balanced tree of Beaver products.
 */
export interface ArgmaxPlan {
  readonly classes: number;
  readonly bitLength: number;
  /** Compared pairs (i, j) with i < j, in the order of the masks and of every batch. */
  readonly pairs: readonly (readonly [number, number])[];
  /** Levels of the suffix-OR over bit positions: in each level f[target] = f[target] OR f[source]. */
  readonly orLevels: readonly (readonly (readonly [number, number])[])[];
  /** Beaver triples one argmax consumes. */
  readonly tripleCount: number;
  /** Rounds of simultaneous messages (each party sends one message per round). */
  readonly rounds: number;
}

/** Sklansky's parallel prefix (IRE Trans. Electronic Computers, 1960) over positions counted from the most significant bit, written as bit indices. */
function suffixOrLevels(bitLength: number): [number, number][][] {
  const levels: [number, number][][] = [];
  for (let half = 1; half < bitLength; half *= 2) {
    const level: [number, number][] = [];
    for (let start = 0; start < bitLength; start += 2 * half) {
      const pivot = start + half - 1;
      for (let m = start + half; m < Math.min(start + 2 * half, bitLength); m++) {
        level.push([bitLength - 1 - m, bitLength - 1 - pivot]);
      }
    }
    if (level.length > 0) levels.push(level);
  }
  return levels;
}

/** Plans are immutable and derived from (classes, bitLength) alone: made once each (at most 256 × 31 of them). */
const PLANS = new Map<string, ArgmaxPlan>();

export function argmaxPlan(classes: number, bitLength: number): ArgmaxPlan {
  const key = `${classes}:${bitLength}`;
  let plan = PLANS.get(key);
  if (!plan) {
    plan = makeArgmaxPlan(classes, bitLength);
    PLANS.set(key, plan);
  }
  return plan;
}

function makeArgmaxPlan(classes: number, bitLength: number): ArgmaxPlan {
  if (!Number.isInteger(classes) || classes < 1 || classes > MAX_ARGMAX_CLASSES) {
    throw new CryptoError('INVALID_ARGUMENT', `argmax: classes must be an integer in [1, ${MAX_ARGMAX_CLASSES}]`);
  }
  if (!Number.isInteger(bitLength) || bitLength < 2 || bitLength > 32) {
    throw new CryptoError('INVALID_ARGUMENT', 'argmax: bitLength must be an integer in [2, 32]');
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < classes; i++) for (let j = i + 1; j < classes; j++) pairs.push([i, j]);
  const orLevels = suffixOrLevels(bitLength);
  const orProducts = orLevels.reduce((n, level) => n + level.length, 0);
  const factors = classes - 1;
  const treeRounds = factors <= 1 ? 0 : Math.ceil(Math.log2(factors));
  const tripleCount = pairs.length * (orProducts + 1) + classes * Math.max(0, factors - 1);
  const rounds = classes === 1 ? 0 : 1 + orLevels.length + 1 + treeRounds;
  return Object.freeze({ classes, bitLength, pairs, orLevels, tripleCount, rounds });
}
