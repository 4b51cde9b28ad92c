/**
 * The one randomness seam of libs/crypto: masks, shares, dealer output and noise flooding all draw from an
 * `Rng`. Production code uses `CryptoRng` (node:crypto CSPRNG); tests and the dealer's reproducible mode use a
 * `SeededRng`. `Math.random` is never used (banned by lint).
 */
export interface Rng {
  /** True for a reproducible (seeded) generator. */
  readonly deterministic: boolean;
  /** Overwrites every byte of `target` with fresh output. */
  fillBytes(target: Uint8Array): void;
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform integer in [0, exclusiveMax) for an integer 1 <= exclusiveMax <= 2^32, by rejection (no modulo bias). */
  randomBelow(exclusiveMax: number): number;
  /** Optional fast path: fills `out` with successive randomBelow(exclusiveMax) draws (the same values, in order). */
  fillBelow?(out: Uint32Array, exclusiveMax: number): void;
}
