import { describe, expect, it } from '@jest/globals';
import { log1mexp, logAddExp, logSubExp, logSumExp } from './log-math.js';

describe('log-space arithmetic', () => {
  it('logAddExp adds without overflow and treats -Infinity as 0', () => {
    expect(logAddExp(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 15);
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, 3)).toBe(3);
    expect(logAddExp(-Infinity, -Infinity)).toBe(-Infinity);
  });

  it('logSubExp subtracts and refuses negative results', () => {
    expect(logSubExp(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 15);
    expect(logSubExp(2, 2)).toBe(-Infinity);
    expect(logSubExp(2, -Infinity)).toBe(2);
    expect(() => logSubExp(1, 2)).toThrow();
  });

  it('log1mexp is accurate at both ends', () => {
    expect(log1mexp(-1e-20)).toBeCloseTo(Math.log(1e-20), 10);
    expect(log1mexp(-50)).toBe(-Math.exp(-50));
    expect(log1mexp(0)).toBe(-Infinity);
    expect(() => log1mexp(0.1)).toThrow();
  });

  it('logSumExp of an empty list is -Infinity', () => {
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.LN2, 12);
  });
});
