// The data-independent counterpart of a DP event. A data-dependent ε (Scalable PATE Thm 6 / Props 7-10) is a
// function of the private vote histograms, so it may not be shown as it is; the data-independent bound of the
// same releases is publishable (Scalable PATE sect. 3, "privacy of the privacy analysis").

import type { DpEvent } from './dp-event.js';

/**
 * The same releases charged with their data-independent bounds only; the result never refers to votes.
 * Expected charging (Pr[answered] is a function of the votes) becomes realised charging with the query
 * answered: the worst case, so the bound can only grow (fails toward less privacy).
 */
export function dataIndependentEvent(event: DpEvent): DpEvent {
  switch (event.kind) {
    case 'noop':
    case 'nonPrivate':
    case 'gaussian':
    case 'laplace':
    case 'poissonSubsampledGaussian':
    case 'gnmaxDataIndependent':
      return event;
    case 'gnmaxDataDependent':
      return { kind: 'gnmaxDataIndependent', sigma: event.sigma };
    case 'pateThreshold':
      return { kind: 'pateThreshold', sigma1: event.sigma1, threshold: event.threshold };
    case 'confidentGnmax':
      // Votes stay only because the event kind requires them; with dataIndependent they are not used.
      return {
        kind: 'confidentGnmax',
        sigma1: event.sigma1,
        sigma2: event.sigma2,
        threshold: event.threshold,
        votes: event.votes.map(() => 0),
        charging: 'realised',
        answered: event.charging === 'expected' ? true : event.answered === true,
        dataIndependent: true,
      };
    case 'lnmax':
      return { kind: 'lnmax', gamma: event.gamma };
    case 'multiLabelGnmax':
      return {
        kind: 'multiLabelGnmax',
        sigma: event.sigma,
        numTeachers: event.numTeachers,
        positives: event.positives.map(() => 0),
        ...(event.tau !== undefined ? { tau: event.tau } : {}),
        dataDependent: false,
      };
    case 'composed':
      return { kind: 'composed', events: event.events.map(dataIndependentEvent) };
    case 'selfComposed':
      return { kind: 'selfComposed', event: dataIndependentEvent(event.event), count: event.count };
  }
}

/** True when the event's cost depends on private votes (its ε must not be published as it is). */
export function isDataDependentEvent(event: DpEvent): boolean {
  switch (event.kind) {
    case 'gnmaxDataDependent':
      return true;
    case 'pateThreshold':
      return event.votes !== undefined;
    case 'confidentGnmax':
      return event.dataIndependent !== true || event.charging === 'expected';
    case 'lnmax':
      return event.votes !== undefined;
    case 'multiLabelGnmax':
      return event.dataDependent === true;
    case 'composed':
      return event.events.some(isDataDependentEvent);
    case 'selfComposed':
      return isDataDependentEvent(event.event);
    default:
      return false;
  }
}
