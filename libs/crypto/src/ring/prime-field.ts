import { CryptoError } from '../errors/crypto-error.js';
import type { Rng } from '../rng/rng.js';

const TWO_POW_16 = 0x1_0000;
const TWO_POW_32 = 0x1_0000_0000;

/** Moduli already found prime: the check is a trial division up to sqrt(p), and fields are made per correlation. */
const KNOWN_PRIMES = new Set<number>();

function isPrime(n: number): boolean {
  if (KNOWN_PRIMES.has(n)) return true;
  if (!isPrimeByTrialDivision(n)) return false;
  if (KNOWN_PRIMES.size < 64) KNOWN_PRIMES.add(n);
  return true;
}

function isPrimeByTrialDivision(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * Z_p for an odd prime p < 2^32, with elements as plain numbers in [0, p). It is the ring of the additive shares
 * and of the secure argmax, and it is chosen equal to the BFV plain modulus t, so that a decrypted BFV share feeds
 * the argmax directly. Products are exact in doubles: a * b is split as a * (b_hi * 2^16 + b_lo), every partial
 * product stays below 2^49.
 */
export class PrimeField {
  readonly p: number;
  /** Bits of p: every element fits in `bitLength` bits. */
  readonly bitLength: number;
  /** Largest element of the non-negative half in the centred representation: (p - 1) / 2. */
  readonly halfP: number;
  private readonly inverse: number;

  constructor(modulus: number | bigint) {
    const p = typeof modulus === 'bigint' ? Number(modulus) : modulus;
    if (!Number.isSafeInteger(p) || p < 3 || p >= TWO_POW_32 || BigInt(p) !== BigInt(modulus) || !isPrime(p)) {
      throw new CryptoError('INVALID_ARGUMENT', 'PrimeField: the modulus must be an odd prime below 2^32');
    }
    this.p = p;
    this.bitLength = p.toString(2).length;
    this.halfP = (p - 1) / 2;
    this.inverse = 1 / p;
  }

  isElement(value: unknown): value is number {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < this.p;
  }

  add(a: number, b: number): number {
    const s = a + b;
    return s >= this.p ? s - this.p : s;
  }

  sub(a: number, b: number): number {
    const d = a - b;
    return d < 0 ? d + this.p : d;
  }

  neg(a: number): number {
    return a === 0 ? 0 : this.p - a;
  }

  mul(a: number, b: number): number {
    // a = a_hi 2^16 + a_lo; each partial value stays below 2^50, so it is exact in a double, and the quotient
    // estimate floor(x / p) is off by at most one, which the conditional corrects (Barrett-style reduction).
    const p = this.p;
    let x = (a >>> 16) * b;
    x -= Math.floor(x * this.inverse) * p;
    if (x < 0) x += p;
    else if (x >= p) x -= p;
    x = x * TWO_POW_16 + (a & 0xffff) * b;
    x -= Math.floor(x * this.inverse) * p;
    if (x < 0) x += p;
    else if (x >= p) x -= p;
    return x;
  }

  /**
   * (a b + c d + e f) mod p in two reductions instead of three products' six (the Beaver step's inner sum): with
   * a = a_hi 2^16 + a_lo (likewise c, e), the high partial sums stay below 3 · 2^48 and the low ones too, so every
   * intermediate value is exact in a double (below 2^51).
   */
  dot3(a: number, b: number, c: number, d: number, e: number, f: number): number {
    const p = this.p;
    let x = (a >>> 16) * b + (c >>> 16) * d + (e >>> 16) * f;
    x -= Math.floor(x * this.inverse) * p;
    if (x < 0) x += p;
    else if (x >= p) x -= p;
    x = x * TWO_POW_16 + (a & 0xffff) * b + (c & 0xffff) * d + (e & 0xffff) * f;
    x -= Math.floor(x * this.inverse) * p;
    if (x < 0) x += p;
    else if (x >= p) x -= p;
    return x;
  }

  /** The element congruent to a signed integer (|value| < 2^53). */
  fromSigned(value: number): number {
    if (!Number.isSafeInteger(value)) throw new CryptoError('INVALID_ARGUMENT', 'fromSigned: not a safe integer');
    const r = value % this.p;
    return r < 0 ? r + this.p : r;
  }

  /** The centred representative in (-p/2, p/2) of an element. */
  toSigned(a: number): number {
    return a > this.halfP ? a - this.p : a;
  }

  random(rng: Rng): number {
    return rng.randomBelow(this.p);
  }

  /** A vector of independent uniform elements. */
  randomVector(length: number, rng: Rng): Uint32Array {
    const out = new Uint32Array(length);
    if (rng.fillBelow) rng.fillBelow(out, this.p);
    else for (let i = 0; i < length; i++) out[i] = rng.randomBelow(this.p);
    return out;
  }

  /** Throws INVALID_ARGUMENT unless every entry is an element of the field. */
  assertVector(values: ArrayLike<number>, what: string): void {
    for (let i = 0; i < values.length; i++) {
      if (!this.isElement(values[i])) throw new CryptoError('INVALID_ARGUMENT', `${what}: entry ${i} is not in Z_p`);
    }
  }
}
