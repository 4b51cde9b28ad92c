import { randomFillSync } from 'node:crypto';
import { BufferedRng } from './buffered-rng.js';

/**
 * The production Rng: node:crypto's CSPRNG (OpenSSL), read in 64 KiB chunks so that a million
 * discrete-Gaussian samples per second cost a few dozen system-library calls, not millions.
 */
export class CryptoRng extends BufferedRng {
  readonly deterministic = false;

  constructor(chunkWords?: number) {
    super(false, chunkWords);
  }

  protected fill(target: Uint8Array): void {
    randomFillSync(target);
  }
}
