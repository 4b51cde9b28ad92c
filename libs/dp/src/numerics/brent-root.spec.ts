import { describe, expect, it } from '@jest/globals';
import { brentRoot } from './brent-root.js';

describe('brentRoot', () => {
  it('finds roots to the requested tolerance', () => {
    expect(Math.abs(brentRoot((x) => x * x - 2, 0, 2) - Math.SQRT2)).toBeLessThan(1e-12);
    expect(Math.abs(brentRoot((x) => Math.cos(x) - x, 0, 1) - 0.7390851332151607)).toBeLessThan(1e-12);
    expect(Math.abs(brentRoot((x) => Math.exp(x) - 1e-5, -20, 0) - Math.log(1e-5))).toBeLessThan(1e-11);
  });

  it('returns an endpoint that is already a root', () => {
    expect(brentRoot((x) => x, 0, 1)).toBe(0);
  });

  it('refuses a bracket without a sign change', () => {
    expect(() => brentRoot((x) => x * x + 1, -1, 1)).toThrow();
  });
});
