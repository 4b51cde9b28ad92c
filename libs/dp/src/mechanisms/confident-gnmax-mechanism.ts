import { DpError } from '../errors/dp-error.js';
import type { ConfidentGnmaxDpEvent } from '../events/dp-event.js';
import type { Rng } from '../rng/rng.js';
import { DiscreteGaussianSampler } from '../samplers/discrete-gaussian-sampler.js';
import type { Mechanism, VoteAccounting } from './mechanism.js';
import {
  assertBaseline,
  assertFinite,
  assertOneOf,
  assertPositiveFinite,
  assertVoteHistogram,
} from './mechanism-input-validation.js';
import { argmaxRandomTies, noisyArgmax } from './noisy-argmax.js';
import { thresholdGap } from './threshold-gap.js';

/** 'realised': threshold cost always, GNMax cost only if answered (what happened; the default). 'expected': the papers' tables. */
export type ConfidentCharging = 'realised' | 'expected';

export interface ConfidentGnmaxOptions {
  readonly threshold: number;
  /** Noise of the threshold test. */
  readonly sigma1: number;
  /** Noise of the GNMax step. */
  readonly sigma2: number;
  /** Default 'realised'. */
  readonly charging?: ConfidentCharging;
  /** Default 'dataDependent'; 'dataIndependent' charges alpha/(2 sigma1^2) (+ alpha/sigma2^2 when answered / weighted). */
  readonly accounting?: VoteAccounting;
}

export interface ConfidentGnmaxOutput {
  readonly answered: boolean;
  /** Present when answered. */
  readonly label?: number;
}

export interface ConfidentGnmaxMechanism extends Mechanism<readonly number[], ConfidentGnmaxOutput> {
  readonly threshold: number;
  readonly sigma1: number;
  readonly sigma2: number;
  readonly charging: ConfidentCharging;
  readonly accounting: VoteAccounting;
}

export interface InteractiveGnmaxInput {
  /** The teachers' vote histogram. */
  readonly votes: readonly number[];
  /** The student's prediction in vote units (e.g. its class probabilities times the number of teachers). */
  readonly baseline: readonly number[];
}

export interface InteractiveGnmaxOptions extends ConfidentGnmaxOptions {
  /** T' of Scalable PATE Alg. 2: when the teachers do not answer and max baseline >= T', the student's own label is kept. */
  readonly studentThreshold?: number;
}

export interface InteractiveGnmaxOutput extends ConfidentGnmaxOutput {
  /** 'teachers': a GNMax label (answered); 'student': the student's own label (free); 'none': refused. */
  readonly source: 'teachers' | 'student' | 'none';
}

export interface InteractiveGnmaxMechanism extends Mechanism<InteractiveGnmaxInput, InteractiveGnmaxOutput> {
  readonly threshold: number;
  readonly sigma1: number;
  readonly sigma2: number;
  readonly studentThreshold?: number;
  readonly charging: ConfidentCharging;
  readonly accounting: VoteAccounting;
}

interface ConfidentParameters {
  readonly threshold: number;
  readonly sigma1: number;
  readonly sigma2: number;
  readonly charging: ConfidentCharging;
  readonly accounting: VoteAccounting;
}

function checkOptions(options: ConfidentGnmaxOptions): ConfidentParameters {
  if (options === null || typeof options !== 'object') throw new DpError('INVALID_ARGUMENT', 'options are required');
  assertFinite(options.threshold, 'threshold');
  assertPositiveFinite(options.sigma1, 'sigma1');
  assertPositiveFinite(options.sigma2, 'sigma2');
  const charging = options.charging ?? 'realised';
  assertOneOf(charging, ['realised', 'expected'] as const, 'charging');
  const accounting = options.accounting ?? 'dataDependent';
  assertOneOf(accounting, ['dataDependent', 'dataIndependent'] as const, 'accounting');
  return { threshold: options.threshold, sigma1: options.sigma1, sigma2: options.sigma2, charging, accounting };
}

function confidentEvent(
  p: ConfidentParameters,
  votes: readonly number[],
  baseline: readonly number[] | undefined,
  outcome: ConfidentGnmaxOutput | undefined,
): ConfidentGnmaxDpEvent {
  if (p.charging === 'realised' && typeof outcome?.answered !== 'boolean') {
    throw new DpError('INVALID_ARGUMENT', "realised charging needs the run's outcome ({ answered })");
  }
  return {
    kind: 'confidentGnmax',
    sigma1: p.sigma1,
    sigma2: p.sigma2,
    threshold: p.threshold,
    votes: Array.from(votes),
    ...(baseline === undefined ? {} : { baseline: Array.from(baseline) }),
    charging: p.charging,
    ...(outcome === undefined ? {} : { answered: outcome.answered }),
    ...(p.accounting === 'dataIndependent' ? { dataIndependent: true } : {}),
  };
}

/** The two exact discrete Gaussian noises, sampled for sigma1 and sigma2 (rounded up, never down). */
function makeSteps(p: ConfidentParameters): {
  passes: (rng: Rng, votes: readonly number[], baseline?: readonly number[]) => boolean;
  label: (rng: Rng, votes: readonly number[]) => number;
} {
  const thresholdNoise = DiscreteGaussianSampler.fromSigma(p.sigma1);
  const gnmaxNoise = DiscreteGaussianSampler.fromSigma(p.sigma2);
  const noise = (rng: Rng): number => gnmaxNoise.sample(rng);
  return {
    // max + Z1 >= T  <=>  Z1 >= ceil(T - max), decided exactly (see thresholdGap).
    passes: (rng, votes, baseline) => thresholdNoise.sample(rng) >= thresholdGap(p.threshold, votes, baseline),
    label: (rng, votes) => noisyArgmax(votes, rng, noise),
  };
}

/**
 * Confident-GNMax (Scalable PATE, Algorithm 1): answer only when max_j n_j + N_Z(0, sigma1^2) >= T, then release
 * GNMax with N_Z(0, sigma2^2). Privacy map: event kind confidentGnmax — realised charging covers the threshold step
 * always and the GNMax step only when answered (adaptive composition: the GNMax step runs only then); expected
 * charging weighs the GNMax step by Pr[answered] as in the papers' tables.
 */
export function makeConfidentGnmax(options: ConfidentGnmaxOptions): ConfidentGnmaxMechanism {
  const p = checkOptions(options);
  const steps = makeSteps(p);
  return {
    ...p,
    run(votes, rng) {
      assertVoteHistogram(votes, 'votes');
      if (!steps.passes(rng, votes)) return { answered: false };
      return { answered: true, label: steps.label(rng, votes) };
    },
    event(votes, outcome) {
      assertVoteHistogram(votes, 'votes');
      return confidentEvent(p, votes, undefined, outcome);
    },
  };
}

/**
 * Interactive-GNMax (Scalable PATE, Algorithm 2): the threshold test is applied to the votes minus the student's
 * baseline, max_j (n_j - O_j) + N_Z(0, sigma1^2) >= T; if it passes, GNMax on the votes with sigma2; otherwise,
 * if max_j O_j >= T' (studentThreshold), the student's own argmax is kept at no privacy cost; else refused.
 * Privacy map: the confidentGnmax event with the baseline (the accountant applies the reference's half-to-even
 * rounding of max(votes - baseline) for its data-dependent bound).
 */
export function makeInteractiveGnmax(options: InteractiveGnmaxOptions): InteractiveGnmaxMechanism {
  const p = checkOptions(options);
  const studentThreshold = options.studentThreshold;
  if (studentThreshold !== undefined) assertFinite(studentThreshold, 'studentThreshold');
  const steps = makeSteps(p);
  const check = (input: InteractiveGnmaxInput): void => {
    if (input === null || typeof input !== 'object')
      throw new DpError('INVALID_ARGUMENT', 'input must be { votes, baseline }');
    assertVoteHistogram(input.votes, 'votes');
    assertBaseline(input.baseline, input.votes.length, 'baseline');
  };
  return {
    ...p,
    ...(studentThreshold === undefined ? {} : { studentThreshold }),
    run(input, rng) {
      check(input);
      if (steps.passes(rng, input.votes, input.baseline)) {
        return { answered: true, label: steps.label(rng, input.votes), source: 'teachers' };
      }
      if (studentThreshold !== undefined && Math.max(...input.baseline) >= studentThreshold) {
        return { answered: false, label: argmaxRandomTies(input.baseline, rng), source: 'student' };
      }
      return { answered: false, source: 'none' };
    },
    event(input, outcome) {
      check(input);
      return confidentEvent(p, input.votes, input.baseline, outcome);
    },
  };
}
