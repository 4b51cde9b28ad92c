import { describe, expect, it } from '@jest/globals';
import { rdpGaussianMechanism } from './gaussian-rdp.js';
import { rdpSubsampledGaussian, rdpSubsampledGaussianAt } from './subsampled-gaussian-rdp.js';

describe('Poisson-subsampled Gaussian RDP (Mironov, Talwar, Zhang 2019)', () => {
  it('reduces to the Gaussian mechanism at q = 1 and to 0 at q = 0', () => {
    const orders = [1.5, 2, 10, 32.5];
    expect(Array.from(rdpSubsampledGaussian(1, 1.3, 1, orders))).toEqual(Array.from(rdpGaussianMechanism(1.3, orders)));
    expect(Array.from(rdpSubsampledGaussian(0, 1.3, 5, orders))).toEqual([0, 0, 0, 0]);
    expect(rdpSubsampledGaussianAt(0.1, 0, 2)).toBe(Infinity);
  });

  it('is continuous between integer and fractional orders, and increasing in the order', () => {
    const at = (a: number): number => rdpSubsampledGaussianAt(0.01, 1.1, a);
    expect(Math.abs(at(3) - at(3 + 1e-9)) / at(3)).toBeLessThan(1e-6);
    let prev = 0;
    for (const a of [1.25, 1.5, 2, 2.5, 3, 8, 8.5, 20, 64]) {
      expect(at(a)).toBeGreaterThan(prev);
      prev = at(a);
    }
  });

  it('matches the closed form at order 2: log(1 + q^2 (e^{1/sigma^2} - 1))', () => {
    for (const [q, s] of [
      [1e-4, 2],
      [0.01, 1.1],
      [0.3, 0.8],
    ] as const) {
      const expected = Math.log1p(q * q * Math.expm1(1 / s ** 2));
      expect(Math.abs(rdpSubsampledGaussianAt(q, s, 2) - expected) / expected).toBeLessThan(1e-13);
    }
  });
});
