/**
 * The one randomness seam of libs/dp: every sampler and mechanism draws from an `Rng`.
 * Production code uses `CryptoRng` (node:crypto CSPRNG); tests inject a `SeededRng`.
 * `Math.random` is never used in libs/dp.
 */
export interface Rng {
  /** True for a reproducible (seeded) generator: such an Rng must never noise a real release. */
  readonly deterministic: boolean;
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** A fair coin flip. */
  nextBoolean(): boolean;
  /** Uniform double in the OPEN interval (0, 1): k / 2^53 for a uniform k in [1, 2^53). Safe to take log of. */
  nextUniform(): number;
  /** Uniform integer in [0, exclusiveMax); exclusiveMax an integer in [1, 2^53]. Unbiased: rejection of the words above the
   * largest multiple of exclusiveMax (Knuth, TAOCP vol. 2, sect. 3.4.1), never a bare modulo. */
  randomInt(exclusiveMax: number): number;
  /** Uniform bigint in [0, 2^bits). */
  nextBigUint(bits: number): bigint;
  /** Uniform bigint in [0, exclusiveMax); exclusiveMax >= 1n. Unbiased (rejection). */
  randomBigInt(exclusiveMax: bigint): bigint;
  /**
   * true with probability exactly p, for any double p in [0, 1] (a double is a dyadic rational: the uniform
   * is compared with p's binary expansion 32 bits at a time, as in Knuth & Yao 1976, so no rounding is involved).
   */
  bernoulli(p: number): boolean;
}
