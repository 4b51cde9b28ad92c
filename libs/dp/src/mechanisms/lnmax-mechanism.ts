import { DpError } from '../errors/dp-error.js';
import type { DpEvent } from '../events/dp-event.js';
import type { Rng } from '../rng/rng.js';
import { DiscreteLaplaceSampler } from '../samplers/discrete-laplace-sampler.js';
import { rationalFromDouble } from '../samplers/exact-rational.js';
import type { Mechanism, VoteAccounting } from './mechanism.js';
import { assertOneOf, assertPositiveFinite, assertVoteHistogram } from './mechanism-input-validation.js';
import { noisyArgmax } from './noisy-argmax.js';

export interface LnmaxOptions {
  /** PATE 2017's privacy parameter: noise Lap(1/gamma) on each count. */
  readonly gamma: number;
  /** Default 'dataDependent'. */
  readonly accounting?: VoteAccounting;
}

export interface LnmaxOutput {
  readonly label: number;
}

export interface LnmaxMechanism extends Mechanism<readonly number[], LnmaxOutput> {
  readonly gamma: number;
  readonly accounting: VoteAccounting;
  /** Its scale is exactly 1/gamma, or slightly above (never below). */
  readonly sampler: DiscreteLaplaceSampler;
}

/**
 * LNMax (Papernot et al. 2017, PATE, sect. 2.2): argmax_j (n_j + Z_j) with Z_j exact discrete Laplace of scale
 * 1/gamma on the integer counts (CKS 2020 Algorithm 2), ties broken uniformly at random. The noisy histogram has
 * L1 sensitivity 2 and pmf ratio at most e^{gamma |shift|}, so the release is 2 gamma-DP exactly as in PATE 2017
 * Thm 2 (event kind lnmax; with the votes the accountant may use the data-dependent bound).
 */
export function makeLnmax(options: LnmaxOptions): LnmaxMechanism {
  assertPositiveFinite(options?.gamma, 'gamma');
  const accounting = options.accounting ?? 'dataDependent';
  assertOneOf(accounting, ['dataDependent', 'dataIndependent'] as const, 'accounting');
  const gamma = options.gamma;
  if (1 / gamma > 2 ** 32) throw new DpError('INVALID_ARGUMENT', 'gamma must be at least 2^-32');
  // The exact reciprocal of the double gamma, rounded up by the sampler if needed: scale >= 1/gamma always.
  const g = rationalFromDouble(gamma);
  const sampler = DiscreteLaplaceSampler.fromScaleRational({ numerator: g.denominator, denominator: g.numerator });
  const noise = (rng: Rng): number => sampler.sample(rng);
  return {
    gamma,
    accounting,
    sampler,
    run(votes, rng) {
      assertVoteHistogram(votes, 'votes');
      return { label: noisyArgmax(votes, rng, noise) };
    },
    event(votes): DpEvent {
      assertVoteHistogram(votes, 'votes');
      return accounting === 'dataDependent'
        ? { kind: 'lnmax', gamma, votes: Array.from(votes) }
        : { kind: 'lnmax', gamma };
    },
  };
}
