import { describe, expect, it } from '@jest/globals';
import { partitionsPerProduct, stackHeads } from './capc-head.packing.js';

const head = (classes: number, features: number, offset: number) => ({
  classes,
  features,
  weights: Int32Array.from({ length: classes * features }, (_, i) => offset + i),
  bias: Int32Array.from({ length: classes }, (_, i) => -(offset + i)),
  maxAbsFeature: 255,
});

describe('head packing (teacher, confidential mode)', () => {
  it('stacks heads row-wise: classes add up, rows and biases keep their order', () => {
    const stacked = stackHeads([head(2, 3, 0), head(2, 3, 100)]);
    expect(stacked.classes).toBe(4);
    expect(stacked.features).toBe(3);
    expect(Array.from(stacked.weights)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105]);
    expect(Array.from(stacked.bias)).toEqual([0, -1, -100, -101]);
    expect(stacked.maxAbsFeature).toBe(255);
  });

  it('refuses heads of different dimensions', () => {
    expect(() => stackHeads([head(2, 3, 0), head(2, 4, 0)])).toThrow();
  });

  it('packs as many partitions as (G·k + 1)·d ≤ N + 1 allows', () => {
    for (const [degree, classes, dimension] of [
      [8192, 10, 64],
      [4096, 10, 64],
      [8192, 10, 744],
      [4096, 2, 100],
    ] as const) {
      const g = partitionsPerProduct(degree, classes, dimension);
      expect((g * classes + 1) * dimension).toBeLessThanOrEqual(degree + 1);
      expect(((g + 1) * classes + 1) * dimension).toBeGreaterThan(degree + 1);
    }
    expect(partitionsPerProduct(8192, 10, 64)).toBe(12);
    expect(partitionsPerProduct(4096, 10, 745)).toBe(0);
  });
});
