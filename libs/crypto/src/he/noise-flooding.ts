import { CryptoError } from '../errors/crypto-error.js';
import type { Rng } from '../rng/rng.js';

/**
 * Noise bookkeeping for BFV responses, worst case (not heuristics), so that decryption is always exact.
 *
 * SEAL samples errors from a normal distribution with sigma = 3.2 clipped at 6 sigma = 19.2, and secret, public
 * key randomness u from ternary polynomials. A public-key encryption's phase c0 + c1 s = Delta m + v has
 * |v| <= 19.2 (2N + 1) per coefficient, plus 1/2 from rounding q m / t; a symmetric one is smaller. Multiplying by
 * a plaintext with centred coefficients w multiplies the noise by at most ||w||_1 (SEAL lifts plaintext
 * coefficients above t/2 to negative values).
 */
export const SEAL_MAX_ERROR = 19.2;

/** Bound on the phase noise of a fresh encryption (public-key or symmetric) in degree N. */
export function freshNoiseBound(degree: number): number {
  return SEAL_MAX_ERROR * (2 * degree + 1) + 0.5;
}

/**
 * Smallest b such that adding a uniform integer in [-2^b, 2^b) to each of the N phase coefficients hides any
 * noise of magnitude <= noiseBound up to statistical distance 2^-lambda: the distance per coefficient is at most
 * noiseBound / 2^(b+1), summed over N coefficients (noise flooding, Gentry 2009; as CaPC's BFV instantiation
 * needs against a semi-honest key holder).
 */
export function floodingBits(degree: number, noiseBound: number, lambda: number): number {
  return Math.ceil(Math.log2(degree) + Math.log2(noiseBound) + lambda - 1);
}

/**
 * Reduces an integer given by its little-endian bytes modulo a prime q < 2^45 (`inverse` = 1 / q): the top (up to) 6
 * bytes at once (< 2^48), then Horner in base 256 — every intermediate value below 2^53, so exact in doubles. Each
 * step reduces with a floating-point quotient estimate (off by at most one, corrected), not a `%` (several times
 * slower, and this runs for every coefficient of every prime of every response).
 */
export function reduceBytes(bytes: Uint8Array, offset: number, length: number, q: number, inverse: number): number {
  const top = Math.min(6, length);
  let r = 0;
  for (let i = offset + length - 1; i >= offset + length - top; i--) r = r * 256 + bytes[i];
  r = reduceBelow2p53(r, q, inverse);
  for (let i = offset + length - top - 1; i >= offset; i--) r = reduceBelow2p53(r * 256 + bytes[i], q, inverse);
  return r;
}

/** x mod q for an integer 0 <= x < 2^53 and q < 2^45 with x / q < 2^9 + 1 or x < 2^48 (quotient × q stays exact). */
function reduceBelow2p53(x: number, q: number, inverse: number): number {
  let r = x - Math.floor(x * inverse) * q;
  if (r < 0) r += q;
  else if (r >= q) r -= q;
  return r;
}

/**
 * Adds F_j, uniform in [-2^b, 2^b), to every coefficient j of polynomial c0 of a SEAL ciphertext blob (uncompressed
 * layout, data from `dataOffset`, RNS components prime-major), consistently across the RNS primes.
 */
export function addFloodingNoise(
  blob: Uint8Array,
  dataOffset: number,
  degree: number,
  primes: readonly bigint[],
  bits: number,
  rng: Rng,
): void {
  if (primes.some((q) => q >= 1n << 45n)) {
    throw new CryptoError('PARAMETERS_INSUFFICIENT', 'noise flooding supports primes below 2^45');
  }
  const q = primes.map(Number);
  const inverses = q.map((p) => 1 / p);
  const byteLength = Math.ceil((bits + 1) / 8);
  const topMask = 0xff >> (8 * byteLength - (bits + 1));
  const random = new Uint8Array(byteLength * degree);
  rng.fillBytes(random);
  // 2^b mod q_i, to centre u in [0, 2^(b+1)) as F = u - 2^b.
  const offsetModQ = primes.map((p) => Number((1n << BigInt(bits)) % p));
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let j = 0; j < degree; j++) {
    const at = j * byteLength;
    random[at + byteLength - 1] &= topMask;
    for (let i = 0; i < q.length; i++) {
      const f = reduceBytes(random, at, byteLength, q[i], inverses[i]);
      const pos = dataOffset + 8 * (i * degree + j);
      const c = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 0x1_0000_0000;
      let v = c + f - offsetModQ[i];
      v %= q[i];
      if (v < 0) v += q[i];
      view.setUint32(pos, v % 0x1_0000_0000, true);
      view.setUint32(pos + 4, Math.floor(v / 0x1_0000_0000), true);
    }
  }
  random.fill(0);
}
