import { CryptoError } from '../errors/crypto-error.js';

/**
 * Where a party records the correlated randomness it has consumed. Correlated randomness used twice leaks the
 * difference of two inputs (a Beaver opening x - a reused with the same a reveals x - x'), so a second claim of
 * the same id must be refused. Apps back this by their database; tests use the in-memory one.
 */
export interface CorrelationLedger {
  /** Records `id` as consumed; throws CORRELATION_REUSED if it already was. */
  claim(id: string): void;
}

export class InMemoryCorrelationLedger implements CorrelationLedger {
  private readonly used = new Set<string>();

  claim(id: string): void {
    if (this.used.has(id)) throw new CryptoError('CORRELATION_REUSED', 'this correlated randomness was already used');
    this.used.add(id);
  }

  has(id: string): boolean {
    return this.used.has(id);
  }
}
