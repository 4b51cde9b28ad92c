import { describe, expect, it } from '@jest/globals';
import { RdpAccountant } from '../accountant/rdp-accountant.js';
import type { DpEvent } from './dp-event.js';
import { validateDpEvent } from './dp-event.js';
import { dataIndependentEvent, isDataDependentEvent } from './data-independent-event.js';

const votes = [230, 10, 5, 5, 0, 0, 0, 0, 0, 0];
const events: DpEvent[] = [
  { kind: 'gnmaxDataDependent', sigma: 40, votes },
  { kind: 'pateThreshold', sigma1: 150, threshold: 200, votes },
  { kind: 'confidentGnmax', sigma1: 150, sigma2: 40, threshold: 200, votes, charging: 'realised', answered: true },
  { kind: 'confidentGnmax', sigma1: 150, sigma2: 40, threshold: 200, votes, charging: 'realised', answered: false },
  { kind: 'confidentGnmax', sigma1: 150, sigma2: 40, threshold: 200, votes, charging: 'expected' },
  { kind: 'lnmax', gamma: 0.05, votes },
  { kind: 'multiLabelGnmax', sigma: 10, numTeachers: 50, positives: [45, 3, 40], dataDependent: true },
  {
    kind: 'composed',
    events: [
      { kind: 'gnmaxDataDependent', sigma: 40, votes },
      { kind: 'gaussian', sigma: 3 },
    ],
  },
];

function epsilon(event: DpEvent): number {
  return new RdpAccountant().compose(event).getEpsilon(1e-5, 'basic').epsilon;
}

describe('dataIndependentEvent', () => {
  it.each(events.map((e) => [e.kind, e] as const))(
    '%s: never smaller than the data-dependent cost, and free of votes',
    (_, event) => {
      const independent = validateDpEvent(dataIndependentEvent(event));
      expect(isDataDependentEvent(event)).toBe(true);
      expect(isDataDependentEvent(independent)).toBe(false);
      expect(epsilon(independent)).toBeGreaterThanOrEqual(epsilon(event) * (1 - 1e-12));
      expect(JSON.stringify(independent)).not.toMatch(/230/);
    },
  );

  it('leaves data-independent events as they are', () => {
    const gaussian: DpEvent = { kind: 'gaussian', sigma: 4 };
    expect(dataIndependentEvent(gaussian)).toBe(gaussian);
    expect(isDataDependentEvent({ kind: 'gnmaxDataIndependent', sigma: 40 })).toBe(false);
  });

  it('charges a realised refusal only its threshold step', () => {
    const refused = dataIndependentEvent(events[3]!);
    const answered = dataIndependentEvent(events[2]!);
    expect(epsilon(refused)).toBeLessThan(epsilon(answered));
  });
});
