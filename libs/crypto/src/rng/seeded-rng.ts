import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { CryptoError } from '../errors/crypto-error.js';
import { BufferedRng } from './buffered-rng.js';

export type RngSeed = string | Uint8Array;

const DOMAIN = 'conclave/libs/crypto/seeded-rng/v1';

/**
 * A reproducible Rng: the AES-256-CTR keystream (zero IV) under the key SHA-256(domain || type || seed).
 * Used for tests and for the dealer's compressed output (party 0 receives only a 32-byte seed and expands it).
 * Its output is as unpredictable as its seed: a CSPRNG-drawn 32-byte seed gives cryptographic randomness.
 */
export class SeededRng extends BufferedRng {
  readonly deterministic = true;
  private readonly cipher: Cipher;
  private zeros = new Uint8Array(0);

  constructor(seed: RngSeed) {
    super();
    const hash = createHash('sha256').update(DOMAIN);
    if (seed instanceof Uint8Array) hash.update('bytes:').update(seed);
    else if (typeof seed === 'string') hash.update('string:').update(seed, 'utf8');
    else throw new CryptoError('INVALID_ARGUMENT', 'SeededRng: the seed must be a string or a Uint8Array');
    this.cipher = createCipheriv('aes-256-ctr', hash.digest(), new Uint8Array(16));
  }

  protected generate(target: Uint8Array): void {
    if (this.zeros.length !== target.length) this.zeros = new Uint8Array(target.length);
    target.set(this.cipher.update(this.zeros));
  }
}
