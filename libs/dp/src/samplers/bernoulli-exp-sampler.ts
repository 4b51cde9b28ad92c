import { DpError } from '../errors/dp-error.js';
import type { Rng } from '../rng/rng.js';
import { sampleBernoulliRatio, sampleBernoulliRatioBig } from './bernoulli-sampler.js';
import { rationalFromDouble } from './exact-rational.js';

/** den * K must stay below this for the number path of the K-loop (sampleBernoulliRatio takes den <= 2^53). */
const SAFE_PRODUCT = 2 ** 53;

/**
 * Bernoulli(exp(-1)) exactly: Canonne, Kamath, Steinke 2020, Algorithm 1 with gamma = 1
 * (K counts successive successes of Bernoulli(1/K); the K = 1 trial always succeeds).
 */
export function sampleBernoulliExpMinusOne(rng: Rng): boolean {
  let k = 2;
  while (sampleBernoulliRatio(rng, 1, k)) k++;
  return (k & 1) === 1;
}

/**
 * Bernoulli(exp(-num/den)) exactly for safe integers num >= 0, den >= 1 (CKS 2020, Algorithm 1; for gamma > 1,
 * exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))), also from CKS Algorithm 1).
 * Falls back to BigInt arithmetic when den * K leaves the exact range of doubles.
 */
export function sampleBernoulliExpRatio(rng: Rng, num: number, den: number): boolean {
  let r = num;
  if (r >= den) {
    let whole = Math.floor(r / den);
    if (whole * den > r) whole--; // guard the division's rounding
    // Each factor exp(-1) fails with probability 1 - 1/e, so this loop is short even when `whole` is huge.
    for (let i = 0; i < whole; i++) if (!sampleBernoulliExpMinusOne(rng)) return false;
    r -= whole * den;
  }
  if (r === 0) return true;
  // r/den in (0, 1): Algorithm 1 — K = number of successes of Bernoulli(gamma / K), K = 1, 2, ...; accept iff K odd.
  let k = 1;
  for (;;) {
    const kDen = k * den;
    const success =
      kDen <= SAFE_PRODUCT
        ? sampleBernoulliRatio(rng, r, kDen)
        : sampleBernoulliRatioBig(rng, BigInt(r), BigInt(k) * BigInt(den));
    if (!success) break;
    k++;
  }
  return (k & 1) === 1;
}

/** Bernoulli(exp(-num/den)) exactly for bigints num >= 0, den >= 1 (CKS 2020, Algorithm 1). */
export function sampleBernoulliExpRatioBig(rng: Rng, num: bigint, den: bigint): boolean {
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!sampleBernoulliExpMinusOne(rng)) return false;
  const r = num - whole * den;
  if (r === 0n) return true;
  let k = 1n;
  while (sampleBernoulliRatioBig(rng, r, k * den)) k++;
  return (k & 1n) === 1n;
}

/** Bernoulli(exp(-num/den)) exactly for integers num >= 0, den >= 1 given as numbers or bigints; validates (CKS 2020, Alg. 1). */
export function sampleBernoulliExpRational(rng: Rng, num: number | bigint, den: number | bigint): boolean {
  if (typeof num === 'number' && typeof den === 'number' && Number.isSafeInteger(num) && Number.isSafeInteger(den)) {
    if (num < 0 || den < 1)
      throw new DpError('INVALID_ARGUMENT', 'sampleBernoulliExpRational: need num >= 0, den >= 1');
    return sampleBernoulliExpRatio(rng, num, den);
  }
  const n = typeof num === 'bigint' ? num : Number.isSafeInteger(num) ? BigInt(num) : undefined;
  const d = typeof den === 'bigint' ? den : Number.isSafeInteger(den) ? BigInt(den) : undefined;
  if (n === undefined || d === undefined || n < 0n || d < 1n) {
    throw new DpError(
      'INVALID_ARGUMENT',
      'sampleBernoulliExpRational: need integers num >= 0, den >= 1 (safe numbers or bigints)',
    );
  }
  return sampleBernoulliExpRatioBig(rng, n, d);
}

/**
 * Bernoulli(exp(-gamma)) exactly for a real gamma >= 0 given as a double: the double is an exact dyadic
 * rational, so CKS Algorithm 1 runs on it without approximation (Infinity gives false).
 */
export function sampleBernoulliExp(rng: Rng, gamma: number): boolean {
  if (typeof gamma !== 'number' || Number.isNaN(gamma) || gamma < 0) {
    throw new DpError('INVALID_ARGUMENT', 'sampleBernoulliExp: gamma must be a number >= 0');
  }
  if (gamma === Infinity) return false;
  if (gamma === 0) return true;
  const { numerator, denominator } = rationalFromDouble(gamma);
  if (numerator <= BigInt(Number.MAX_SAFE_INTEGER) && denominator <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return sampleBernoulliExpRatio(rng, Number(numerator), Number(denominator));
  }
  return sampleBernoulliExpRatioBig(rng, numerator, denominator);
}
