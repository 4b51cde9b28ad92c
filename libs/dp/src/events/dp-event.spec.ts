import { describe, expect, it } from '@jest/globals';
import { isDpError } from '../errors/dp-error.js';
import { DP_EVENT_KINDS, isDpEvent, validateDpEvent, type DpEvent } from './dp-event.js';

const VALID: DpEvent[] = [
  { kind: 'noop' },
  { kind: 'nonPrivate' },
  { kind: 'gaussian', sigma: 2 },
  { kind: 'gaussian', sigma: 2, sensitivity: 0.5 },
  { kind: 'laplace', scale: 1 },
  { kind: 'poissonSubsampledGaussian', samplingProbability: 0.01, noiseMultiplier: 1.1 },
  { kind: 'gnmaxDataIndependent', sigma: 40 },
  { kind: 'gnmaxDataDependent', sigma: 40, votes: [200, 30, 20] },
  { kind: 'gnmaxDataDependent', sigma: 40, logq: -12.5 },
  { kind: 'pateThreshold', sigma1: 150, threshold: 200 },
  { kind: 'pateThreshold', sigma1: 150, threshold: 200, votes: [1.5, 0.5], baseline: [-1, 2] },
  {
    kind: 'confidentGnmax',
    sigma1: 150,
    sigma2: 40,
    threshold: 200,
    votes: [200, 50],
    charging: 'realised',
    answered: true,
  },
  { kind: 'confidentGnmax', sigma1: 150, sigma2: 40, threshold: 200, votes: [200, 50], charging: 'expected' },
  { kind: 'lnmax', gamma: 0.05, votes: [100, 90] },
  { kind: 'multiLabelGnmax', sigma: 10, numTeachers: 50, positives: [40, 3, 25], tau: 1.5, dataDependent: true },
  {
    kind: 'composed',
    events: [
      { kind: 'gaussian', sigma: 1 },
      { kind: 'selfComposed', event: { kind: 'noop' }, count: 3 },
    ],
  },
  { kind: 'selfComposed', event: { kind: 'gnmaxDataIndependent', sigma: 40 }, count: 1000 },
];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isDpError(e) ? e.code : 'not a DpError';
  }
  return undefined;
}

describe('validateDpEvent', () => {
  it.each(VALID.map((e) => [e.kind, e] as const))('accepts a well-formed %s event', (_kind, e) => {
    expect(validateDpEvent(e)).toBe(e);
    expect(validateDpEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('covers every kind', () => {
    expect(new Set(VALID.map((e) => e.kind))).toEqual(new Set(DP_EVENT_KINDS));
  });

  it('refuses unknown kinds with UNSUPPORTED_EVENT', () => {
    expect(codeOf(() => validateDpEvent({ kind: 'exponential', epsilon: 1 }))).toBe('UNSUPPORTED_EVENT');
    expect(codeOf(() => validateDpEvent({ kind: 'composed', events: [{ kind: 'mystery' }] }))).toBe(
      'UNSUPPORTED_EVENT',
    );
  });

  it.each([
    ['not an object', 42],
    ['no kind', { sigma: 1 }],
    ['NaN sigma', { kind: 'gaussian', sigma: NaN }],
    ['zero sigma', { kind: 'gaussian', sigma: 0 }],
    ['infinite sigma', { kind: 'gnmaxDataIndependent', sigma: Infinity }],
    ['string sigma', { kind: 'gaussian', sigma: '1' }],
    ['q > 1', { kind: 'poissonSubsampledGaussian', samplingProbability: 1.5, noiseMultiplier: 1 }],
    ['negative votes', { kind: 'gnmaxDataDependent', sigma: 1, votes: [3, -1] }],
    ['positive logq', { kind: 'gnmaxDataDependent', sigma: 1, logq: 0.5 }],
    ['neither votes nor logq', { kind: 'gnmaxDataDependent', sigma: 1 }],
    ['both votes and logq', { kind: 'gnmaxDataDependent', sigma: 1, votes: [3, 1], logq: -2 }],
    [
      'realised without outcome',
      { kind: 'confidentGnmax', sigma1: 1, sigma2: 1, threshold: 1, votes: [1, 2], charging: 'realised' },
    ],
    ['bad charging', { kind: 'confidentGnmax', sigma1: 1, sigma2: 1, threshold: 1, votes: [1, 2], charging: 'maybe' }],
    ['baseline length', { kind: 'pateThreshold', sigma1: 1, threshold: 1, votes: [1, 2], baseline: [1] }],
    ['fractional count', { kind: 'selfComposed', event: { kind: 'noop' }, count: 1.5 }],
    ['positives > teachers', { kind: 'multiLabelGnmax', sigma: 1, numTeachers: 3, positives: [4] }],
  ])('refuses %s with INVALID_ARGUMENT', (_why, e) => {
    expect(codeOf(() => validateDpEvent(e))).toBe('INVALID_ARGUMENT');
    expect(isDpEvent(e)).toBe(false);
  });
});
