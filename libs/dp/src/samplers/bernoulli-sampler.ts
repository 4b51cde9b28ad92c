import { DpError } from '../errors/dp-error.js';
import type { Rng } from '../rng/rng.js';

const TWO_POW_32 = 0x1_0000_0000;
/** Above this denominator the 32-bit-chunk comparison cannot stay exact in doubles; fall back to randomInt. */
const CHUNKED_MAX_DENOMINATOR = 2 ** 37;
/** Largest denominator handled without BigInt (randomInt accepts up to 2^53). */
const NUMBER_MAX_DENOMINATOR = 2 ** 53;

/** POW2[c] = 2^c, to avoid Math.pow on the hot path. */
const POW2: readonly number[] = Array.from({ length: 33 }, (_, c) => 2 ** c);

function bitLength(n: number): number {
  return n < TWO_POW_32 ? 32 - Math.clz32(n) : 64 - Math.clz32(Math.floor(n / TWO_POW_32));
}

/**
 * Bernoulli(num / den) exactly, for integers 0 <= num and 1 <= den <= 2^53 (num >= den gives true).
 * The uniform U is compared with num/den lazily, c bits at a time with den * 2^c <= 2^53, so every
 * product is an exact double; one 32-bit word decides except with probability den / 2^c.
 */
export function sampleBernoulliRatio(rng: Rng, num: number, den: number): boolean {
  if (num <= 0) return false;
  if (num >= den) return true;
  if (den > CHUNKED_MAX_DENOMINATOR) return rng.randomInt(den) < num;
  const c = den < 0x20_0000 ? 32 : 53 - bitLength(den);
  const shift = 32 - c;
  const scale = POW2[c];
  let r = num;
  for (;;) {
    // U = (u + U') / 2^c with U' uniform in [0, 1): U < r/den  <=>  U' < (r 2^c - u den) / den.
    const u = rng.nextUint32() >>> shift;
    const rem = r * scale - u * den;
    if (rem >= den) return true;
    if (rem <= 0) return false;
    r = rem;
  }
}

/** Bernoulli(num / den) exactly for bigints 0 <= num, 1 <= den. */
export function sampleBernoulliRatioBig(rng: Rng, num: bigint, den: bigint): boolean {
  if (num <= 0n) return false;
  if (num >= den) return true;
  if (den <= BigInt(NUMBER_MAX_DENOMINATOR)) return sampleBernoulliRatio(rng, Number(num), Number(den));
  return rng.randomBigInt(den) < num;
}

function toBigInteger(x: number | bigint, what: string): bigint {
  if (typeof x === 'bigint') return x;
  if (!Number.isSafeInteger(x)) throw new DpError('INVALID_ARGUMENT', `${what} must be a safe integer or a bigint`);
  return BigInt(x);
}

/** Bernoulli(num / den) for integers num >= 0, den >= 1 given as numbers or bigints; validates its arguments. */
export function sampleBernoulliRational(rng: Rng, num: number | bigint, den: number | bigint): boolean {
  if (typeof num === 'number' && typeof den === 'number' && Number.isSafeInteger(num) && Number.isSafeInteger(den)) {
    if (num < 0 || den < 1) throw new DpError('INVALID_ARGUMENT', 'sampleBernoulliRational: need num >= 0, den >= 1');
    return sampleBernoulliRatio(rng, num, den);
  }
  const n = toBigInteger(num, 'num');
  const d = toBigInteger(den, 'den');
  if (n < 0n || d < 1n) throw new DpError('INVALID_ARGUMENT', 'sampleBernoulliRational: need num >= 0, den >= 1');
  return sampleBernoulliRatioBig(rng, n, d);
}
