import { describe, expect, it } from '@jest/globals';
import { BFV_4096, BfvLinearTeacher, HeContext, isCryptoError } from '@conclave/crypto';
import { partitionsPerProduct, prepareProducts, stackHeads } from './capc-head.packing.js';

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

  it('packs fewer partitions per product than the layout allows when the noise budget says so (BFV_4096)', async () => {
    const context = await HeContext.create(BFV_4096);
    // Heavy heads: one fits BFV_4096's noise budget, the layout's six together do not.
    const heavy = (offset: number) => ({
      classes: 10,
      features: 64,
      weights: Int32Array.from({ length: 640 }, (_, i) => ((i + offset) % 2 === 0 ? 3_000 : -3_000)),
      bias: new Int32Array(10),
      maxAbsFeature: 255,
    });
    const heads = Array.from({ length: 7 }, (_, i) => heavy(i));
    const layout = partitionsPerProduct(context.degree, 10, 64);
    let allInOne: unknown = null;
    try {
      BfvLinearTeacher.prepare(context, stackHeads(heads.slice(0, layout)), { floodingSecurityBits: 0 }).dispose();
    } catch (error) {
      allInOne = error;
    }
    const { groups, packing } = prepareProducts(context, heads, layout, 0);
    try {
      expect(packing.reduce((a, b) => a + b, 0)).toBe(heads.length);
      expect(packing.every((g) => g >= 1 && g <= layout)).toBe(true);
      expect(groups).toHaveLength(packing.length);
      // What the layout alone would pack does not fit the noise budget here; the products are smaller instead.
      expect(isCryptoError(allInOne, 'PARAMETERS_INSUFFICIENT')).toBe(true);
      expect(packing[0]).toBeLessThan(layout);
    } finally {
      for (const group of groups) group.dispose();
    }
  });
});
