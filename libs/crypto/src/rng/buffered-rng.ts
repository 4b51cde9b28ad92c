import { CryptoError } from '../errors/crypto-error.js';
import type { Rng } from './rng.js';

const TWO_POW_32 = 0x1_0000_0000;
/** 4,096 words = 16 KiB per refill. */
const CHUNK_WORDS = 4096;
/** Little-endian platform: the chunk's words can be read through a Uint32Array (same values as getUint32(…, true)). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A byte source refilled in chunks and read as little-endian 32-bit words (the same stream on every platform). */
export abstract class BufferedRng implements Rng {
  abstract readonly deterministic: boolean;
  private readonly bytes = new Uint8Array(CHUNK_WORDS * 4);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly words = new Uint32Array(this.bytes.buffer);
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
    checkBound(exclusiveMax);
    // Words at or above the largest multiple of exclusiveMax are rejected, so the result is exactly uniform.
    const limit = TWO_POW_32 - (TWO_POW_32 % exclusiveMax);
    for (;;) {
      const word = this.nextUint32();
      if (word < limit) return word % exclusiveMax;
    }
  }

  /**
   * `out.length` draws of randomBelow(exclusiveMax), in order — the same words of the stream, the same values — in
   * one loop over the chunk (dealing and expanding a correlation draws thousands).
   */
  fillBelow(out: Uint32Array, exclusiveMax: number): void {
    checkBound(exclusiveMax);
    if (!LITTLE_ENDIAN) {
      for (let i = 0; i < out.length; i++) out[i] = this.randomBelow(exclusiveMax);
      return;
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % exclusiveMax);
    const words = this.words;
    let index = this.index;
    for (let i = 0; i < out.length;) {
      if (index === CHUNK_WORDS) {
        this.generate(this.bytes);
        index = 0;
      }
      const word = words[index++];
      if (word < limit) out[i++] = word % exclusiveMax;
    }
    this.index = index;
  }
}

function checkBound(exclusiveMax: number): void {
  if (!Number.isInteger(exclusiveMax) || exclusiveMax < 1 || exclusiveMax > TWO_POW_32) {
    throw new CryptoError('INVALID_ARGUMENT', 'randomBelow: exclusiveMax must be an integer in [1, 2^32]');
  }
}
