import { randomFillSync } from 'node:crypto';
import { BufferedRng } from './buffered-rng.js';

/** The production Rng: node:crypto's CSPRNG. */
export class CryptoRng extends BufferedRng {
  readonly deterministic = false;

  protected generate(target: Uint8Array): void {
    randomFillSync(target);
  }
}
