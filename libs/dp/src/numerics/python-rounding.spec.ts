import { describe, expect, it } from '@jest/globals';
import { roundHalfEven } from './python-rounding.js';

describe('roundHalfEven (Python round)', () => {
  it('rounds ties to even', () => {
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(121.5)).toBe(122);
    expect(roundHalfEven(120.5)).toBe(120);
    expect(roundHalfEven(-0.5) === 0).toBe(true);
    expect(roundHalfEven(-1.5)).toBe(-2);
  });

  it('rounds non-ties to nearest', () => {
    expect(roundHalfEven(2.4999999)).toBe(2);
    expect(roundHalfEven(2.5000001)).toBe(3);
    expect(roundHalfEven(-2.6)).toBe(-3);
    expect(roundHalfEven(7)).toBe(7);
  });
});
