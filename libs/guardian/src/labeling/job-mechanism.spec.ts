import { describe, expect, it } from '@jest/globals';
import { RdpAccountant, SeededRng } from '@conclave/dp';
import { buildJobMechanism, normaliseMechanismParams } from './job-mechanism.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('job mechanisms', () => {
  it('validates parameters with clear codes', () => {
    expect(code(() => normaliseMechanismParams('gnmax', { sigma: -1 }))).toBe('VALIDATION_FAILED');
    expect(code(() => normaliseMechanismParams('gnmax', { sigma: Number.NaN }))).toBe('VALIDATION_FAILED');
    expect(code(() => normaliseMechanismParams('confident-gnmax', { threshold: 200, sigma1: 150 }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(code(() => normaliseMechanismParams('gnmax', { sigma: 4, accounting: 'vibes' }))).toBe('VALIDATION_FAILED');
    expect(code(() => normaliseMechanismParams('rappor', {}))).toBe('VALIDATION_FAILED');
    expect(normaliseMechanismParams('confident-gnmax', { threshold: 200, sigma1: 150, sigma2: 40, extra: 1 })).toEqual({
      threshold: 200,
      sigma1: 150,
      sigma2: 40,
      charging: 'realised',
      accounting: 'dataDependent',
    });
  });

  it('GNMax labels a unanimous histogram with its class and charges the data-dependent event', () => {
    const m = buildJobMechanism('gnmax', { sigma: 40 });
    const h = { counts: [0, 250, 0], voters: 250 };
    const decision = m.run(h, new SeededRng('g'));
    expect(decision).toEqual({ status: 'answered', label: 1 });
    expect(m.event(h, decision)).toEqual({ kind: 'gnmaxDataDependent', sigma: 40, votes: [0, 250, 0] });
  });

  it('Confident-GNMax is checked against its worst case and charges only the threshold when it refuses', () => {
    const m = buildJobMechanism('confident-gnmax', { threshold: 200, sigma1: 5, sigma2: 5 });
    const split = { counts: [90, 80, 80], voters: 250 };
    const decision = m.run(split, new SeededRng('c'));
    expect(decision).toEqual({ status: 'refused-threshold', label: null });
    const eps = (e: ReturnType<typeof m.event>) => new RdpAccountant().compose(e).getEpsilon(1e-5, 'basic').epsilon;
    expect(eps(m.checkEvent(split))).toBeGreaterThan(eps(m.event(split, decision)));
  });

  it('multi-label voting releases the labels most teachers vote positive', () => {
    const m = buildJobMechanism('multilabel-gnmax', { sigma: 1 });
    const decision = m.run({ counts: [48, 2, 45], voters: 50 }, new SeededRng('m'));
    expect(decision).toEqual({ status: 'answered', label: [0, 2] });
  });
});
