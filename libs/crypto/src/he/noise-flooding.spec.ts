import { describe, expect, it } from '@jest/globals';
import { SeededRng } from '../rng/seeded-rng.js';
import { addFloodingNoise, reduceBytes } from './noise-flooding.js';

/** The reference: the little-endian integer as a BigInt, reduced with BigInt's remainder. */
function reference(bytes: Uint8Array, offset: number, length: number, q: bigint): number {
  let x = 0n;
  for (let i = offset + length - 1; i >= offset; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return Number(x % q);
}

describe('noise flooding', () => {
  it('reduces little-endian integers of up to 16 bytes exactly, for primes up to 2^45', () => {
    const rng = new SeededRng('flooding-reduce');
    const primes = [3n, 65537n, 1073692673n, 17592186028033n, 35184372088777n, 35184372088651n];
    const bytes = new Uint8Array(16 * 500);
    rng.fillBytes(bytes);
    bytes.fill(0xff, 0, 16); // the largest integers too
    for (const q of primes) {
      const p = Number(q);
      for (const length of [1, 5, 6, 7, 12, 16]) {
        for (let k = 0; k < 500; k++) {
          expect(reduceBytes(bytes, 16 * k, length, p, 1 / p)).toBe(reference(bytes, 16 * k, length, q));
        }
      }
    }
  });

  it('adds the same uniform integer in [-2^b, 2^b) to a coefficient under every prime', () => {
    const degree = 64;
    const primes = [17592186028033n, 35184372088777n];
    const blob = new Uint8Array(16 + 2 * 2 * degree * 8); // c0 and c1 for both primes, after a 16-byte header
    const view = new DataView(blob.buffer);
    const before: bigint[][] = primes.map((q, i) =>
      Array.from({ length: degree }, (_, j) => {
        const c = BigInt(j * 1_000_003) % q;
        view.setBigUint64(16 + 8 * (i * degree + j), c, true);
        return c;
      }),
    );
    const bits = 95;
    addFloodingNoise(blob, 16, degree, primes, bits, new SeededRng('flooding-add'));
    for (let j = 0; j < degree; j++) {
      // The integer F added under the first prime, centred, must be the same one under the second (CRT-consistent).
      const diffs = primes.map((q, i) => {
        const after = view.getBigUint64(16 + 8 * (i * degree + j), true);
        return (((after - before[i]![j]!) % q) + q) % q;
      });
      const [q0, q1] = primes as [bigint, bigint];
      const m = q0 * q1;
      // CRT: the unique F mod q0 q1 with F ≡ diffs[i] (mod q_i), centred.
      const inv = modInverse(q0 % q1, q1);
      let f = (diffs[0]! + q0 * ((((diffs[1]! - diffs[0]!) % q1) + q1) % q1) * inv) % m;
      if (f > m / 2n) f -= m;
      expect(f >= -(1n << BigInt(bits)) && f < 1n << BigInt(bits)).toBe(true);
    }
  });
});

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a, m, 1n, 0n];
  while (r1 !== 0n) {
    const k = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - k * r1, s1, s0 - k * s1];
  }
  return ((s0 % m) + m) % m;
}
