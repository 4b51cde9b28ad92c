import { describe, expect, it } from '@jest/globals';
import { encodeU32 } from '@conclave/contracts';
import { PrimeField, shareVector, SeededRng } from '@conclave/crypto';
import { reconstructHistograms } from './capc-runner.js';

const P = 1073692673;
const CLASSES = 3;
const field = new PrimeField(P);
const b64 = (values: ArrayLike<number>) => Buffer.from(encodeU32(values)).toString('base64');

/**
 * Two teacher services (2 + 3 partitions) and the querying party hold additive shares of the per-query histograms:
 * service s holds a_s, the querying party q, with Σ a_s + q = counts (mod p).
 */
function sharedBatch(histograms: number[][], partitions = [2, 3], seed = 'histograms') {
  const rng = new SeededRng(seed);
  const flat = histograms.flat();
  const [first, rest] = shareVector(field, Uint32Array.from(flat), rng);
  const [second, querying] = shareVector(field, rest, rng);
  return {
    queryCount: histograms.length,
    teachers: [
      { partyId: 'a', sessionId: 's-a', partitions: partitions[0]! },
      { partyId: 'b', sessionId: 's-b', partitions: partitions[1]! },
    ],
    teacherShareSums: { a: b64(first), b: b64(second) } as Record<string, string>,
    queryingShareSums: Buffer.from(encodeU32(querying)),
  };
}

describe('reconstructHistograms (the guardian, confidential mode)', () => {
  it('reconstructs every query’s histogram from the share sums', () => {
    const histograms = [
      [5, 0, 0],
      [1, 2, 2],
      [0, 0, 5],
    ];
    expect(reconstructHistograms(sharedBatch(histograms), P, CLASSES)).toEqual(
      histograms.map((counts) => ({ counts, voters: 5 })),
    );
  });

  it('refuses counts that do not add up to one vote per partition', () => {
    expect(reconstructHistograms(sharedBatch([[1, 1, 1]]), P, CLASSES)).toBeNull(); // 3 votes, 5 voters
    expect(reconstructHistograms(sharedBatch([[3, 3, 0]]), P, CLASSES)).toBeNull(); // 6 votes
  });

  it('refuses counts outside [0, voters], even when they add up', () => {
    expect(
      reconstructHistograms(sharedBatch([[6, -1, 0]].map((r) => r.map((v) => (v + P) % P))), P, CLASSES),
    ).toBeNull();
    expect(reconstructHistograms(sharedBatch([[P - 5, 10, 0]]), P, CLASSES)).toBeNull();
  });

  it('refuses a tampered share sum (one vote moved) and never yields a label', () => {
    const batch = sharedBatch([[2, 2, 1]]);
    const querying = new Uint32Array(batch.queryingShareSums.buffer.slice(batch.queryingShareSums.byteOffset));
    querying[0] = (querying[0]! + 1) % P;
    expect(
      reconstructHistograms({ ...batch, queryingShareSums: Buffer.from(encodeU32(querying)) }, P, CLASSES),
    ).toBeNull();
  });

  it('refuses missing, short or undecodable share sums', () => {
    const batch = sharedBatch([[5, 0, 0]]);
    expect(
      reconstructHistograms({ ...batch, teacherShareSums: { a: batch.teacherShareSums.a! } }, P, CLASSES),
    ).toBeNull();
    expect(
      reconstructHistograms({ ...batch, teacherShareSums: { ...batch.teacherShareSums, b: b64([1, 2]) } }, P, CLASSES),
    ).toBeNull();
    expect(reconstructHistograms({ ...batch, queryingShareSums: null }, P, CLASSES)).toBeNull();
    expect(reconstructHistograms({ ...batch, queryingShareSums: Buffer.alloc(5) }, P, CLASSES)).toBeNull();
  });
});
