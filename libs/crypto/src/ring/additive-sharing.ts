import { CryptoError } from '../errors/crypto-error.js';
import type { Rng } from '../rng/rng.js';
import type { PrimeField } from './prime-field.js';

/**
 * Two-party additive secret sharing over Z_p: a value v is split into a uniform s0 and s1 = v - s0, so each share
 * alone is uniform and independent of v (perfect hiding); v = s0 + s1 mod p.
 */
export function shareVector(field: PrimeField, values: ArrayLike<number>, rng: Rng): [Uint32Array, Uint32Array] {
  field.assertVector(values, 'shareVector');
  const first = field.randomVector(values.length, rng);
  const second = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) second[i] = field.sub(values[i], first[i]);
  return [first, second];
}

/** The shared vector: the entrywise sum of the two share vectors mod p. */
export function reconstructVector(field: PrimeField, a: ArrayLike<number>, b: ArrayLike<number>): Uint32Array {
  if (a.length !== b.length) throw new CryptoError('INVALID_ARGUMENT', 'reconstructVector: share lengths differ');
  field.assertVector(a, 'reconstructVector');
  field.assertVector(b, 'reconstructVector');
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = field.add(a[i], b[i]);
  return out;
}

/** Entrywise sum of any number of share vectors of the same length (e.g. a party's shares of many teachers' votes). */
export function sumShareVectors(field: PrimeField, vectors: readonly ArrayLike<number>[]): Uint32Array {
  if (vectors.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'sumShareVectors: no vectors');
  const length = vectors[0].length;
  const out = new Uint32Array(length);
  for (const v of vectors) {
    if (v.length !== length) throw new CryptoError('INVALID_ARGUMENT', 'sumShareVectors: lengths differ');
    field.assertVector(v, 'sumShareVectors');
    for (let i = 0; i < length; i++) out[i] = field.add(out[i], v[i]);
  }
  return out;
}
