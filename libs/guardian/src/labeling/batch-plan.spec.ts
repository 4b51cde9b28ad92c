import { describe, expect, it } from '@jest/globals';
import { BatchPlan } from './labeling-runner.js';

const sizes = (pending: number, batchSize: number, edge: number, extra = 0) => {
  const plan = new BatchPlan(pending, batchSize, edge);
  const out: number[] = [];
  let left = pending;
  while (left > 0) {
    const n = plan.next();
    out.push(n);
    left -= n;
  }
  for (let i = 0; i < extra; i++) out.push(plan.next());
  return out;
};

describe('BatchPlan', () => {
  it('makes the first and the last batch small and the ones between full', () => {
    expect(sizes(1000, 256, 64)).toEqual([64, 256, 256, 256, 104, 64]);
    expect(sizes(64 + 256 + 64, 256, 64)).toEqual([64, 256, 64]);
  });

  it('covers every query exactly, never above the batch size', () => {
    for (const pending of [1, 2, 63, 64, 65, 127, 128, 300, 320, 321, 999, 5000]) {
      for (const [batchSize, edge] of [
        [256, 64],
        [8, 64],
        [100, 1],
        [1, 1],
      ] as const) {
        const planned = sizes(pending, batchSize, edge);
        expect(planned.reduce((a, b) => a + b, 0)).toBe(pending);
        expect(Math.max(...planned)).toBeLessThanOrEqual(batchSize);
        expect(Math.min(...planned)).toBeGreaterThan(0);
      }
    }
  });

  it('keeps asking for at least one query after the plan is spent (a read that finds nothing ends the run)', () => {
    expect(sizes(10, 256, 64, 2)).toEqual([10, 1, 1]);
  });
});
