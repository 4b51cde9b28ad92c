import { DpError } from '../errors/dp-error.js';
import type { Rng } from '../rng/rng.js';
import { sampleBernoulliExpMinusOne, sampleBernoulliExpRatio } from './bernoulli-exp-sampler.js';
import {
  bigBitLength,
  rationalFromDouble,
  rationalToNumber,
  reduceRational,
  roundUpToDyadic,
  type ExactRational,
} from './exact-rational.js';

/** Numerator and denominator of the scale are kept at most 2^32 so that U + t V stays an exact double. */
const MAX_PART = 2 ** 32;

/**
 * Exact sampler of the discrete Laplace distribution of scale b = t/s, P[X = x] ∝ exp(-|x| / b) on the integers:
 * Canonne, Kamath, Steinke 2020, Algorithm 2 (X = floor((U + t V) / s) with U ∝ exp(-U/t) on [0, t) and
 * V geometric, both by exact Bernoulli(exp(-.)) draws of Algorithm 1; random sign, -0 rejected).
 * Used for LNMax on integer vote counts: PATE's Lap(1/gamma) noise is the scale b = 1/gamma.
 */
export class DiscreteLaplaceSampler {
  /** The scale actually sampled, exactly. */
  readonly scale: ExactRational;
  private readonly t: number;
  private readonly s: number;

  constructor(scale: ExactRational) {
    const { numerator, denominator } = scale;
    if (typeof numerator !== 'bigint' || typeof denominator !== 'bigint' || numerator <= 0n || denominator <= 0n) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteLaplaceSampler: scale must be a rational > 0 (bigint parts)');
    }
    this.scale = reduceRational(numerator, denominator);
    if (this.scale.numerator > BigInt(MAX_PART) || this.scale.denominator > BigInt(MAX_PART)) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteLaplaceSampler: scale numerator and denominator must be <= 2^32');
    }
    this.t = Number(this.scale.numerator);
    this.s = Number(this.scale.denominator);
  }

  /**
   * The sampler for a scale given as a double. The scale is taken exactly when it is a short dyadic (20, 0.5 ...);
   * otherwise it is rounded UP to a dyadic with 32-bit parts (relative increase below 2^-30 max(1, 1/scale)), so the noise
   * is never smaller than the scale the accountant charges for.
   */
  static fromScale(scale: number): DiscreteLaplaceSampler {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || !(scale > 0)) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteLaplaceSampler.fromScale: scale must be a finite number > 0');
    }
    return DiscreteLaplaceSampler.fromScaleRational(rationalFromDouble(scale));
  }

  /** As fromScale, for a scale given as an exact rational (e.g. the exact reciprocal 1/gamma of a double gamma). */
  static fromScaleRational(scale: ExactRational): DiscreteLaplaceSampler {
    const exact = reduceRational(scale.numerator, scale.denominator);
    if (exact.numerator === 0n) throw new DpError('INVALID_ARGUMENT', 'DiscreteLaplaceSampler: scale must be > 0');
    if (exact.numerator > BigInt(MAX_PART) * exact.denominator) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteLaplaceSampler: scale must be <= 2^32');
    }
    if (exact.numerator <= BigInt(MAX_PART) && exact.denominator <= BigInt(MAX_PART))
      return new DiscreteLaplaceSampler(exact);
    // k fractional bits with ceil(scale 2^k) <= 2^32 and 2^k <= 2^32.
    // With L = bitLength(num) - bitLength(den), 2^(L-1) < scale < 2^(L+1): k = 31 - L gives scale 2^k < 2^32 and a
    // relative increase below 2^-30.
    const bitsL = bigBitLength(exact.numerator) - bigBitLength(exact.denominator);
    const k = Math.min(32, Math.max(0, 31 - bitsL));
    const rounded = roundUpToDyadic(exact, k);
    if (bigBitLength(rounded.numerator) > 33)
      throw new DpError('INTERNAL', 'discrete Laplace scale rounding overflowed');
    return new DiscreteLaplaceSampler(rounded);
  }

  /** The scale as a double (for display). */
  get scaleValue(): number {
    return rationalToNumber(this.scale);
  }

  /** One sample. */
  sample(rng: Rng): number {
    const t = this.t;
    const s = this.s;
    for (;;) {
      const u = rng.randomInt(t);
      if (!sampleBernoulliExpRatio(rng, u, t)) continue;
      let v = 0;
      while (sampleBernoulliExpMinusOne(rng)) v++;
      const x = u + t * v;
      let y = Math.floor(x / s);
      if (y * s > x) y--; // guard the division's rounding
      const negative = rng.nextBoolean();
      if (negative && y === 0) continue;
      return negative ? -y : y;
    }
  }
}

/** Exact pmf of the discrete Laplace of scale b at x: tanh(1/(2b)) exp(-|x|/b) (normalising sum_x exp(-|x|/b) = coth(1/(2b)), a geometric series). */
export function discreteLaplacePmf(scale: number, x: number): number {
  return Math.tanh(1 / (2 * scale)) * Math.exp(-Math.abs(x) / scale);
}

/** Variance of the discrete Laplace of scale b: 2 e^{-1/b} / (1 - e^{-1/b})^2. */
export function discreteLaplaceVariance(scale: number): number {
  const r = Math.exp(-1 / scale);
  return (2 * r) / ((1 - r) * (1 - r));
}
