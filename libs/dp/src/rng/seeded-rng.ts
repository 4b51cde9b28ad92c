import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { DpError } from '../errors/dp-error.js';
import { BufferedRng } from './buffered-rng.js';

export type RngSeed = string | number | bigint | Uint8Array;

const DOMAIN = 'conclave/libs/dp/seeded-rng/v1';

const UTF8 = new TextEncoder();

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Canonical bytes of a seed: the type is part of the encoding, so 1, 1n and '1' give different streams. */
function seedBytes(seed: RngSeed): Uint8Array {
  if (seed instanceof Uint8Array) return concatBytes(UTF8.encode('bytes:'), seed);
  if (typeof seed === 'string') return UTF8.encode(`string:${seed}`);
  if (typeof seed === 'bigint') return UTF8.encode(`bigint:${seed.toString(10)}`);
  if (typeof seed === 'number' && Number.isFinite(seed)) return UTF8.encode(`number:${String(seed)}`);
  throw new DpError('INVALID_ARGUMENT', 'SeededRng: seed must be a string, finite number, bigint or Uint8Array');
}

/**
 * A reproducible Rng for tests and simulations: the AES-256-CTR keystream (zero IV) under the key
 * SHA-256(domain || seed). Same seed, same stream, on every run and platform (words are read little-endian).
 * Anyone who knows the seed can predict it: never use it to noise a real release.
 */
export class SeededRng extends BufferedRng {
  readonly deterministic = true;
  private readonly cipher: Cipher;
  private zeros: Uint8Array = new Uint8Array(0);

  constructor(seed: RngSeed, chunkWords?: number) {
    super(true, chunkWords);
    const key = createHash('sha256').update(DOMAIN).update(seedBytes(seed)).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, new Uint8Array(16));
  }

  protected fill(target: Uint8Array): void {
    if (this.zeros.length !== target.length) this.zeros = new Uint8Array(target.length);
    const out = this.cipher.update(this.zeros);
    target.set(out);
  }
}
