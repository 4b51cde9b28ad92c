import { CryptoError } from '../errors/crypto-error.js';
import type { Rng } from './rng.js';

const TWO_POW_32 = 0x1_0000_0000;
/** 4,096 words = 16 KiB per refill. */
const CHUNK_WORDS = 4096;

/** A byte source refilled in chunks and read as little-endian 32-bit words (the same stream on every platform). */
export abstract class BufferedRng implements Rng {
  abstract readonly deterministic: boolean;
  private readonly bytes = new Uint8Array(CHUNK_WORDS * 4);
  private readonly view = new DataView(this.bytes.buffer);
  private index = CHUNK_WORDS;

  /** Overwrites every byte of `target` with fresh generator output. */
  protected abstract generate(target: Uint8Array): void;

  fillBytes(target: Uint8Array): void {
    this.generate(target);
  }

  nextUint32(): number {
    if (this.index === CHUNK_WORDS) {
      this.generate(this.bytes);
      this.index = 0;
    }
    return this.view.getUint32(4 * this.index++, true);
  }

  randomBelow(exclusiveMax: number): number {
    if (!Number.isInteger(exclusiveMax) || exclusiveMax < 1 || exclusiveMax > TWO_POW_32) {
      throw new CryptoError('INVALID_ARGUMENT', 'randomBelow: exclusiveMax must be an integer in [1, 2^32]');
    }
    // Words at or above the largest multiple of exclusiveMax are rejected, so the result is exactly uniform.
    const limit = TWO_POW_32 - (TWO_POW_32 % exclusiveMax);
    for (;;) {
      const word = this.nextUint32();
      if (word < limit) return word % exclusiveMax;
    }
  }
}
