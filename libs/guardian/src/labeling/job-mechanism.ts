import { DomainError } from '@conclave/common';
import {
  makeConfidentGnmax,
  makeGnmax,
  makeInteractiveGnmax,
  makeLnmax,
  makeMultiLabelGnmax,
  type DpEvent,
  type Rng,
} from '@conclave/dp';

export const JOB_MECHANISMS = ['gnmax', 'confident-gnmax', 'interactive-gnmax', 'lnmax', 'multilabel-gnmax'] as const;
export type SupportedJobMechanism = (typeof JOB_MECHANISMS)[number];

/** What one query's noisy aggregation produced. */
export interface QueryDecision {
  status: 'answered' | 'refused-threshold';
  label: number | number[] | null;
}

/**
 * A job's mechanism over vote histograms: `run` draws the noisy decision, `event` is what it costs (realised),
 * `checkEvent` is the worst case the budget is checked against before anything is released — so that whether a
 * query is refused for lack of budget never depends on the noise of its own outcome.
 */
export interface JobMechanism {
  run(histogram: VoteHistogram, rng: Rng): QueryDecision;
  event(histogram: VoteHistogram, decision: QueryDecision): DpEvent;
  checkEvent(histogram: VoteHistogram): DpEvent;
}

/** Votes per class (or, multi-label, positive votes per label) and how many teachers voted. */
export interface VoteHistogram {
  counts: number[];
  voters: number;
  /** Interactive-GNMax: the student's prediction in vote units, subtracted before the threshold test. */
  baseline?: number[] | null;
}

/** Mechanisms whose jobs need a student baseline per query. */
export function needsBaseline(mechanism: string): boolean {
  return mechanism === 'interactive-gnmax';
}

type Params = Record<string, unknown>;

/** Validates a job's mechanism parameters at creation; returns them normalised. */
export function normaliseMechanismParams(mechanism: string, params: Params): Params {
  const positive = (name: string): number => {
    const value = params[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new DomainError('VALIDATION_FAILED', `params.${name} must be a positive finite number`);
    }
    return value;
  };
  const accounting = params.accounting ?? 'dataDependent';
  if (accounting !== 'dataDependent' && accounting !== 'dataIndependent') {
    throw new DomainError('VALIDATION_FAILED', "params.accounting must be 'dataDependent' or 'dataIndependent'");
  }
  switch (mechanism) {
    case 'gnmax':
      return { sigma: positive('sigma'), accounting };
    case 'confident-gnmax':
    case 'interactive-gnmax': {
      const charging = params.charging ?? 'realised';
      if (charging !== 'realised' && charging !== 'expected') {
        throw new DomainError('VALIDATION_FAILED', "params.charging must be 'realised' or 'expected'");
      }
      return {
        threshold: positive('threshold'),
        sigma1: positive('sigma1'),
        sigma2: positive('sigma2'),
        charging,
        accounting,
      };
    }
    case 'lnmax':
      return { gamma: positive('gamma'), accounting };
    case 'multilabel-gnmax':
      if (params.tau !== undefined) {
        // τ-clipping needs each teacher's own vote vector; the guardian sums them per service today.
        throw new DomainError(
          'VALIDATION_FAILED',
          'params.tau (τ-clipped voting) is not supported by labeling jobs yet',
        );
      }
      return { sigma: positive('sigma'), accounting };
    default:
      throw new DomainError('VALIDATION_FAILED', `mechanism must be one of ${JOB_MECHANISMS.join(', ')}`);
  }
}

/** Builds the mechanism of a job from its stored (already normalised) parameters. */
export function buildJobMechanism(mechanism: string, params: Params): JobMechanism {
  const p = normaliseMechanismParams(mechanism, params) as Record<string, never>;
  switch (mechanism as SupportedJobMechanism) {
    case 'gnmax': {
      const m = makeGnmax({ sigma: p.sigma, accounting: p.accounting });
      return {
        run: (h, rng) => ({ status: 'answered', label: m.run(h.counts, rng).label }),
        event: (h) => m.event(h.counts),
        checkEvent: (h) => m.event(h.counts),
      };
    }
    case 'lnmax': {
      const m = makeLnmax({ gamma: p.gamma, accounting: p.accounting });
      return {
        run: (h, rng) => ({ status: 'answered', label: m.run(h.counts, rng).label }),
        event: (h) => m.event(h.counts),
        checkEvent: (h) => m.event(h.counts),
      };
    }
    case 'confident-gnmax': {
      const m = makeConfidentGnmax({
        threshold: p.threshold,
        sigma1: p.sigma1,
        sigma2: p.sigma2,
        charging: p.charging,
        accounting: p.accounting,
      });
      return {
        run: (h, rng) => {
          const out = m.run(h.counts, rng);
          return out.answered
            ? { status: 'answered', label: out.label! }
            : { status: 'refused-threshold', label: null };
        },
        event: (h, d) =>
          m.event(
            h.counts,
            d.status === 'answered' ? { answered: true, label: d.label as number } : { answered: false },
          ),
        checkEvent: (h) => m.event(h.counts, { answered: true, label: 0 }),
      };
    }
    case 'interactive-gnmax': {
      // Scalable PATE Alg. 2: the threshold test runs on votes − baseline. When the teachers do not answer,
      // the querying party keeps its own student's label (it needs nothing from us for that): refused here.
      const m = makeInteractiveGnmax({
        threshold: p.threshold,
        sigma1: p.sigma1,
        sigma2: p.sigma2,
        charging: p.charging,
        accounting: p.accounting,
      });
      const input = (h: VoteHistogram) => {
        if (!h.baseline)
          throw new DomainError('VALIDATION_FAILED', 'interactive-gnmax needs a baseline for every query');
        return { votes: h.counts, baseline: h.baseline };
      };
      return {
        run: (h, rng) => {
          const out = m.run(input(h), rng);
          return out.source === 'teachers'
            ? { status: 'answered', label: out.label! }
            : { status: 'refused-threshold', label: null };
        },
        event: (h, d) =>
          m.event(
            input(h),
            d.status === 'answered'
              ? { answered: true, label: d.label as number, source: 'teachers' }
              : { answered: false, source: 'none' },
          ),
        checkEvent: (h) => m.event(input(h), { answered: true, label: 0, source: 'teachers' }),
      };
    }
    case 'multilabel-gnmax': {
      const m = makeMultiLabelGnmax({ sigma: p.sigma, accounting: p.accounting });
      const input = (h: VoteHistogram) => ({ positives: h.counts, numTeachers: h.voters });
      return {
        // The mechanism answers one 0/1 decision per label; a released label is the list of positive ones.
        run: (h, rng) => ({ status: 'answered', label: positiveLabels(m.run(input(h), rng).labels) }),
        event: (h) => m.event(input(h)),
        checkEvent: (h) => m.event(input(h)),
      };
    }
  }
}

function positiveLabels(decisions: readonly number[]): number[] {
  return decisions.flatMap((decision, label) => (decision === 1 ? [label] : []));
}
