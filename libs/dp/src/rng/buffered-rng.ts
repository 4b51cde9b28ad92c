import { DpError } from '../errors/dp-error.js';
import type { Rng } from './rng.js';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;
const TWO_POW_MINUS_53 = 2 ** -53;
/** 16,384 words = 64 KiB per refill: one node:crypto call per ~2,000 discrete-Gaussian samples. */
const DEFAULT_CHUNK_WORDS = 16_384;
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Shared machinery of the Rngs: a byte source refilled in chunks, read as 32-bit words, and the exact
 * integer / Bernoulli / uniform constructions built on those words.
 */
export abstract class BufferedRng implements Rng {
  abstract readonly deterministic: boolean;
  private readonly bytes: Uint8Array;
  private readonly words: Uint32Array;
  private index: number;
  private bitCache = 0;
  private bitsLeft = 0;

  /** @param portableByteOrder read words little-endian on every platform (needed for reproducible streams). */
  protected constructor(
    private readonly portableByteOrder: boolean,
    chunkWords: number = DEFAULT_CHUNK_WORDS,
  ) {
    this.words = new Uint32Array(chunkWords);
    this.bytes = new Uint8Array(this.words.buffer);
    this.index = chunkWords;
  }

  /** Overwrites every byte of `target` with fresh output of the underlying generator. */
  protected abstract fill(target: Uint8Array): void;

  nextUint32(): number {
    if (this.index === this.words.length) this.refill();
    return this.words[this.index++];
  }

  nextBoolean(): boolean {
    if (this.bitsLeft === 0) {
      this.bitCache = this.nextUint32();
      this.bitsLeft = 32;
    }
    this.bitsLeft--;
    const bit = this.bitCache & 1;
    this.bitCache >>>= 1;
    return bit === 1;
  }

  nextUniform(): number {
    for (;;) {
      const k = (this.nextUint32() >>> 11) * TWO_POW_32 + this.nextUint32();
      if (k !== 0) return k * TWO_POW_MINUS_53;
    }
  }

  randomInt(exclusiveMax: number): number {
    if (!Number.isInteger(exclusiveMax) || exclusiveMax < 1 || exclusiveMax > TWO_POW_53) {
      throw new DpError('INVALID_ARGUMENT', 'randomInt: exclusiveMax must be an integer in [1, 2^53]');
    }
    if (exclusiveMax <= TWO_POW_32) {
      // Largest multiple of exclusiveMax not above 2^32: words at or above it are rejected (no modulo bias).
      const limit = TWO_POW_32 - (TWO_POW_32 % exclusiveMax);
      for (;;) {
        const u = this.nextUint32();
        if (u < limit) return u % exclusiveMax;
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % exclusiveMax);
    for (;;) {
      const x = (this.nextUint32() >>> 11) * TWO_POW_32 + this.nextUint32();
      if (x < limit) return x % exclusiveMax;
    }
  }

  nextBigUint(bits: number): bigint {
    if (!Number.isSafeInteger(bits) || bits < 0) {
      throw new DpError('INVALID_ARGUMENT', 'nextBigUint: bits must be a non-negative integer');
    }
    let value = 0n;
    let remaining = bits;
    while (remaining >= 32) {
      value = (value << 32n) | BigInt(this.nextUint32());
      remaining -= 32;
    }
    if (remaining > 0) value = (value << BigInt(remaining)) | BigInt(this.nextUint32() >>> (32 - remaining));
    return value;
  }

  randomBigInt(exclusiveMax: bigint): bigint {
    if (typeof exclusiveMax !== 'bigint' || exclusiveMax < 1n) {
      throw new DpError('INVALID_ARGUMENT', 'randomBigInt: exclusiveMax must be a bigint >= 1n');
    }
    if (exclusiveMax === 1n) return 0n;
    const bits = (exclusiveMax - 1n).toString(2).length;
    for (;;) {
      const x = this.nextBigUint(bits);
      if (x < exclusiveMax) return x;
    }
  }

  bernoulli(p: number): boolean {
    if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
      throw new DpError('INVALID_ARGUMENT', 'bernoulli: p must be a number in [0, 1]');
    }
    if (p === 0) return false;
    if (p === 1) return true;
    // U < p decided on U's binary expansion 32 bits at a time. x * 2^32 and x - floor(x) are exact in doubles,
    // and p has at most 1074 fractional bits, so this terminates after at most 35 words.
    let x = p;
    for (;;) {
      x *= TWO_POW_32;
      const chunk = Math.floor(x);
      const u = this.nextUint32();
      if (u < chunk) return true;
      if (u > chunk) return false;
      x -= chunk;
      if (x === 0) return false;
    }
  }

  private refill(): void {
    this.fill(this.bytes);
    if (this.portableByteOrder && !IS_LITTLE_ENDIAN) {
      const b = this.bytes;
      for (let i = 0; i < b.length; i += 4) {
        const b0 = b[i];
        const b1 = b[i + 1];
        b[i] = b[i + 3];
        b[i + 1] = b[i + 2];
        b[i + 2] = b1;
        b[i + 3] = b0;
      }
    }
    this.index = 0;
  }
}
