import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { argmaxCorrelationBytes, correlationBatchBytes, decodeCorrelationBatch } from '@conclave/crypto';
import { correlationBatchChunks, sessionCorrelation } from './session-correlations.js';

const T = 1073692673;

async function collect(chunks: AsyncGenerator<Uint8Array, void, undefined>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('session correlations (regenerated from the seed)', () => {
  it('regenerates the same pair for the same seed and index, and another pair for another index or seed', () => {
    const seed = randomBytes(32);
    const shape = { modulus: T, classes: 3 };
    const [a0, a1] = sessionCorrelation(seed, shape, 7);
    const [b0, b1] = sessionCorrelation(seed, shape, 7);
    expect(b0.serialize()).toEqual(a0.serialize());
    expect(b1.serialize()).toEqual(a1.serialize());
    expect(a1.id).toBe(a0.id);
    expect(sessionCorrelation(seed, shape, 8)[0].id).not.toBe(a0.id);
    expect(sessionCorrelation(randomBytes(32), shape, 7)[0].id).not.toBe(a0.id);
    expect(() => sessionCorrelation(seed.subarray(0, 31), shape, 0)).toThrow();
  });

  it("streams each party's batch in order, of exactly the announced size, in chunks", async () => {
    const seed = randomBytes(32);
    const shape = { modulus: T, classes: 4, count: 40 };
    for (const party of [0, 1] as const) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of correlationBatchChunks(seed, shape, party)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      expect(bytes.length).toBe(correlationBatchBytes({ ...shape, party }));
      const halves = decodeCorrelationBatch(bytes);
      expect(halves.map((h) => h.id)).toEqual(
        Array.from({ length: 40 }, (_, i) => sessionCorrelation(seed, shape, i)[party].id),
      );
      // Small frames travel together: every chunk but the last holds at least 64 KiB, and at most one frame more.
      const frame = argmaxCorrelationBytes({ ...shape, party }) + 4;
      for (const chunk of chunks.slice(0, -1)) {
        expect(chunk.length).toBeGreaterThanOrEqual(64 * 1024);
        expect(chunk.length).toBeLessThan(64 * 1024 + frame);
      }
      if (party === 0) expect(chunks).toHaveLength(1);
      else expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it('keeps its own copy of the seed: the caller may wipe its buffer as soon as the batch is set up', async () => {
    const seed = randomBytes(32);
    const shape = { modulus: T, classes: 2, count: 3 };
    const expected = await collect(correlationBatchChunks(Buffer.from(seed), shape, 1));
    const wiped = Buffer.from(seed);
    const chunks = correlationBatchChunks(wiped, shape, 1);
    wiped.fill(0);
    expect(await collect(chunks)).toEqual(expected);
  });

  it('refuses a shape libs/crypto refuses before producing anything', () => {
    expect(() => correlationBatchChunks(randomBytes(32), { modulus: 15, classes: 2, count: 1 }, 0)).toThrow();
    expect(() => correlationBatchChunks(randomBytes(32), { modulus: T, classes: 300, count: 1 }, 1)).toThrow();
  });
});
