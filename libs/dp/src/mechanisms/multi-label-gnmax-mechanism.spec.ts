import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { Z_CRITICAL } from '../samplers/goodness-of-fit.testing.js';
import { thrownCode } from './mechanism-testing.testing.js';
import { makeMultiLabelGnmax } from './multi-label-gnmax-mechanism.js';

function teachers(n: number, row: number[]): number[][] {
  return Array.from({ length: n }, () => [...row]);
}

describe('makeMultiLabelGnmax', () => {
  it('run: unanimous per-label votes come back as they are (binary voting, exact discrete noise)', () => {
    const m = makeMultiLabelGnmax({ sigma: 10 });
    const rng = new SeededRng('ml-unanimous');
    const input = { teacherVotes: teachers(100, [1, 0, 1, 1, 0]) };
    for (let i = 0; i < 100; i++) expect(m.run(input, rng)).toEqual({ labels: [1, 0, 1, 1, 0] });
    const aggregate = { positives: [100, 0, 100, 100, 0], numTeachers: 100 };
    expect(m.run(aggregate, rng)).toEqual({ labels: [1, 0, 1, 1, 0] });
  });

  it('run: an evenly split label is a fair coin (ties broken at random)', () => {
    const m = makeMultiLabelGnmax({ sigma: 0.4 });
    const rng = new SeededRng('ml-split');
    const n = 20_000;
    let ones = 0;
    for (let i = 0; i < n; i++) ones += m.run({ positives: [5], numTeachers: 10 }, rng).labels[0];
    expect(Math.abs(ones - n / 2)).toBeLessThan(Z_CRITICAL * Math.sqrt(n / 4));
  });

  it('tau voting L2-clips each teacher: 4 positives with tau = 1 count 1/2 each', () => {
    const m = makeMultiLabelGnmax({ sigma: 5, tau: 1 });
    const input = {
      teacherVotes: [
        [1, 1, 1, 1],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    };
    expect(m.aggregate(input)).toEqual({ positives: [1.5, 0.5, 0.5, 0.5], numTeachers: 3 });
    const event = m.event(input);
    expect(event).toEqual({
      kind: 'multiLabelGnmax',
      sigma: 5,
      numTeachers: 3,
      positives: [1.5, 0.5, 0.5, 0.5],
      tau: 1,
      dataDependent: true,
    });
    expect(new RdpAccountant().supports(event)).toBe(true);
    // Clipping changes the counts, so per-teacher vectors are required.
    expect(thrownCode(() => m.run({ positives: [1, 2], numTeachers: 3 }, new SeededRng(1)))).toBe('INVALID_ARGUMENT');
  });

  it('event: data-independent is k alpha / sigma^2 for k labels; tau-clipping makes it cheaper', () => {
    const sigma = 20;
    const input = { teacherVotes: teachers(50, [1, 0, 1, 0, 1, 0, 1, 0]) };
    const accountant = new RdpAccountant();
    const binary = accountant.eventRdp(makeMultiLabelGnmax({ sigma, accounting: 'dataIndependent' }).event(input));
    accountant.orders.forEach((a, i) => expect(binary[i]).toBeCloseTo((8 * a) / sigma ** 2, 12));
    const clipped = accountant.eventRdp(
      makeMultiLabelGnmax({ sigma, tau: 1, accounting: 'dataIndependent' }).event(input),
    );
    accountant.orders.forEach((_a, i) => expect(clipped[i]).toBeLessThan(binary[i]));
  });

  it('validates with INVALID_ARGUMENT', () => {
    const m = makeMultiLabelGnmax({ sigma: 1 });
    const rng = new SeededRng(1);
    for (const bad of [
      { teacherVotes: [] },
      { teacherVotes: [[1, 0], [1]] },
      { teacherVotes: [[2, 0]] },
      { positives: [3], numTeachers: 2 },
      { positives: [1.5], numTeachers: 2 },
      { positives: [], numTeachers: 2 },
    ]) {
      expect(thrownCode(() => m.run(bad as never, rng))).toBe('INVALID_ARGUMENT');
    }
    expect(thrownCode(() => makeMultiLabelGnmax({ sigma: 1, tau: 0 }))).toBe('INVALID_ARGUMENT');
  });
});
