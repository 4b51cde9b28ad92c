import { DpError } from '../errors/dp-error.js';
import type { Rng } from '../rng/rng.js';
import {
  sampleBernoulliExpMinusOne,
  sampleBernoulliExpRatio,
  sampleBernoulliExpRatioBig,
} from './bernoulli-exp-sampler.js';
import {
  rationalFromDouble,
  rationalToNumber,
  reduceRational,
  roundUpToDyadic,
  type ExactRational,
} from './exact-rational.js';

/** Largest |a| with a*a exactly representable (a*a <= 2^53). */
const MAX_EXACT_SQUARE_ROOT = 94_906_265;
/** fromSigma keeps 2 sigma^2 q^2 t^2 (the acceptance denominator) below 2^45 when it has to round sigma^2. */
const GRID_BUDGET_LOG2 = 45;
/** 2 x 1074: the finest grid a squared double can need, so tiny sigma are kept exact rather than rounded up. */
const MAX_GRID_BITS = 2148;

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

function asSafeNumber(x: bigint): number | undefined {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : undefined;
}

/**
 * Exact sampler of the discrete Gaussian N_Z(0, sigma^2), P[X = x] ∝ exp(-x^2 / (2 sigma^2)) on the integers:
 * Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy"), Algorithm 3 — rejection from
 * the discrete Laplace of scale t = floor(sigma) + 1 (their Algorithm 2 with s = 1), accepted with
 * Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))) (their Algorithm 1).
 *
 * sigma^2 is an exact rational p/q, so every Bernoulli is decided with integer arithmetic: the output
 * distribution is exactly N_Z(0, p/q), with no floating-point approximation. Integer arithmetic runs in
 * doubles while every quantity is an exact integer below 2^53 (the hot path) and in BigInt otherwise.
 */
export class DiscreteGaussianSampler {
  /** The variance parameter actually sampled, exactly. */
  readonly sigmaSquared: ExactRational;
  /** sqrt(sigmaSquared) as a double (for display). */
  readonly sigma: number;
  private readonly t: number;
  private readonly pBig: bigint;
  private readonly qtBig: bigint;
  private readonly denBig: bigint;
  /** Number versions; the fast path is used only when they are exact. */
  private readonly p: number;
  private readonly qt: number;
  private readonly den: number;
  /** |y| in [fastMinAbs, fastMaxAbs] keeps |y q t - p| <= MAX_EXACT_SQUARE_ROOT: the acceptance runs in exact doubles. */
  private readonly fastMinAbs: number;
  private readonly fastMaxAbs: number;

  constructor(sigmaSquared: ExactRational) {
    const { numerator, denominator } = sigmaSquared;
    if (typeof numerator !== 'bigint' || typeof denominator !== 'bigint' || numerator <= 0n || denominator <= 0n) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteGaussianSampler: sigma^2 must be a rational > 0 (bigint parts)');
    }
    this.sigmaSquared = reduceRational(numerator, denominator);
    const p = this.sigmaSquared.numerator;
    const q = this.sigmaSquared.denominator;
    // floor(sqrt(p/q)) = floor(sqrt(floor(p/q))). Any t >= 1 is correct; floor(sigma) + 1 is CKS's efficient choice.
    const t = isqrt(p / q) + 1n;
    if (t > BigInt(Number.MAX_SAFE_INTEGER))
      throw new DpError('INVALID_ARGUMENT', 'DiscreteGaussianSampler: sigma too large');
    this.t = Number(t);
    this.sigma = Math.sqrt(rationalToNumber(this.sigmaSquared));
    this.pBig = p;
    this.qtBig = q * t;
    // (|y| - p/(q t))^2 / (2 p/q) = (|y| q t - p)^2 / (2 p q t^2)
    this.denBig = 2n * p * q * t * t;
    const pN = asSafeNumber(p);
    const qtN = asSafeNumber(this.qtBig);
    const denN = asSafeNumber(this.denBig);
    if (pN !== undefined && qtN !== undefined && denN !== undefined) {
      this.p = pN;
      this.qt = qtN;
      this.den = denN;
      // |y q t - p| <= MAX_EXACT_SQUARE_ROOT, so that the numerator (y q t - p)^2 is an exact double.
      this.fastMinAbs = Math.max(0, Math.ceil((pN - MAX_EXACT_SQUARE_ROOT) / qtN));
      this.fastMaxAbs = Math.floor((MAX_EXACT_SQUARE_ROOT + pN) / qtN);
    } else {
      this.p = NaN;
      this.qt = NaN;
      this.den = NaN;
      this.fastMinAbs = 1;
      this.fastMaxAbs = 0;
    }
  }

  /**
   * The sampler for a standard deviation given as a double. sigma^2 is taken exactly when its binary expansion
   * is short (integers, halves, quarters ... cover every hand-chosen sigma); otherwise it is rounded UP to the
   * next multiple of 2^-k, k chosen to keep the hot path in exact double arithmetic, a relative increase of at
   * most 2^-21.5 (1 + 1/sigma). Rounding up means the released noise is never smaller than the sigma the
   * accountant charges for, so the approximation can only err toward more privacy than accounted.
   */
  static fromSigma(sigma: number): DiscreteGaussianSampler {
    if (typeof sigma !== 'number' || !Number.isFinite(sigma) || !(sigma > 0)) {
      throw new DpError('INVALID_ARGUMENT', 'DiscreteGaussianSampler.fromSigma: sigma must be a finite number > 0');
    }
    const s = rationalFromDouble(sigma);
    const exact = reduceRational(s.numerator * s.numerator, s.denominator * s.denominator);
    const budget = GRID_BUDGET_LOG2 - Math.log2(sigma * sigma * (sigma + 1) * (sigma + 1));
    const k = Math.max(0, Math.min(MAX_GRID_BITS, Math.floor(budget / 2)));
    const grid = 1n << BigInt(k);
    if (exact.denominator <= grid) return new DiscreteGaussianSampler(exact);
    return new DiscreteGaussianSampler(roundUpToDyadic(exact, k));
  }

  /** One sample of N_Z(0, sigma^2). */
  sample(rng: Rng): number {
    const t = this.t;
    for (;;) {
      // Discrete Laplace of scale t (CKS Algorithm 2, s = 1): X = U + t V with U ∝ exp(-U/t) on [0, t), V ~ Geom.
      const u = rng.randomInt(t);
      if (!sampleBernoulliExpRatio(rng, u, t)) continue;
      let v = 0;
      while (sampleBernoulliExpMinusOne(rng)) v++;
      const negative = rng.nextBoolean();
      const yAbs = u + t * v;
      if (negative && yAbs === 0) continue;
      if (this.accept(rng, yAbs)) return negative ? -yAbs : yAbs;
    }
  }

  /** Fills `out` with independent samples. */
  sampleMany(rng: Rng, out: Float64Array | number[]): void {
    for (let i = 0; i < out.length; i++) out[i] = this.sample(rng);
  }

  /** Bernoulli(exp(-(|y| - sigma^2/t)^2 / (2 sigma^2))), CKS Algorithm 3 acceptance step, exactly. */
  private accept(rng: Rng, yAbs: number): boolean {
    if (yAbs >= this.fastMinAbs && yAbs <= this.fastMaxAbs) {
      const a = yAbs * this.qt - this.p;
      if (Math.abs(a) <= MAX_EXACT_SQUARE_ROOT) return sampleBernoulliExpRatio(rng, a * a, this.den);
    }
    const a = BigInt(yAbs) * this.qtBig - this.pBig;
    return sampleBernoulliExpRatioBig(rng, a * a, this.denBig);
  }
}

/** The exact variance of N_Z(0, sigma^2) by summing its pmf (its definition in CKS 2020, sect. 1; CKS show it is below sigma^2). */
export function discreteGaussianVariance(sigma: number): number {
  const { support, probabilities } = discreteGaussianPmf(sigma);
  let v = 0;
  for (let i = 0; i < support.length; i++) v += support[i] * support[i] * probabilities[i];
  return v;
}

/**
 * pmf of N_Z(0, sigma^2) on [-M, M], M = ceil(40 sigma) + 1 (the mass outside is below e^-800): normalised by
 * summing (the definition of N_Z in CKS 2020, sect. 1). Used by tests and by anyone checking a sampler.
 */
export function discreteGaussianPmf(sigma: number): { support: number[]; probabilities: number[] } {
  if (!Number.isFinite(sigma) || !(sigma > 0))
    throw new DpError('INVALID_ARGUMENT', 'sigma must be a finite number > 0');
  const m = Math.ceil(40 * sigma) + 1;
  const support: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (let y = -m; y <= m; y++) {
    const w = Math.exp(-(y * y) / (2 * sigma * sigma));
    support.push(y);
    weights.push(w);
    total += w;
  }
  return { support, probabilities: weights.map((w) => w / total) };
}
