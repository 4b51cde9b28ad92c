import { DomainError } from '@conclave/common';
import { makeConfidentGnmax, makeGnmax, makeLnmax, makeMultiLabelGnmax, type DpEvent, type Rng } from '@conclave/dp';

export const JOB_MECHANISMS = ['gnmax', 'confident-gnmax', 'lnmax', 'multilabel-gnmax'] as const;
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
    case 'confident-gnmax': {
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
      return { sigma: positive('sigma'), ...(params.tau !== undefined ? { tau: positive('tau') } : {}) };
    case 'interactive-gnmax':
      throw new DomainError(
        'VALIDATION_FAILED',
        'interactive-gnmax needs a student baseline: run it from the student trainer',
      );
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
    case 'multilabel-gnmax': {
      const m = makeMultiLabelGnmax({ sigma: p.sigma, ...(p.tau !== undefined ? { tau: p.tau } : {}) });
      const input = (h: VoteHistogram) => ({ positives: h.counts, numTeachers: h.voters });
      return {
        run: (h, rng) => ({ status: 'answered', label: m.run(input(h), rng).labels }),
        event: (h) => m.event(input(h)),
        checkEvent: (h) => m.event(input(h)),
      };
    }
  }
}
