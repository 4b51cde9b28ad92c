import type { DpEvent } from '../events/dp-event.js';
import type { Rng } from '../rng/rng.js';
import { DiscreteGaussianSampler } from '../samplers/discrete-gaussian-sampler.js';
import type { Mechanism, VoteAccounting } from './mechanism.js';
import { assertOneOf, assertPositiveFinite, assertVoteHistogram } from './mechanism-input-validation.js';
import { noisyArgmax } from './noisy-argmax.js';

export interface GnmaxOptions {
  readonly sigma: number;
  /** Default 'dataDependent' (the votes go into the event; the accountant takes min with alpha / sigma^2). */
  readonly accounting?: VoteAccounting;
}

export interface GnmaxOutput {
  readonly label: number;
}

export interface GnmaxMechanism extends Mechanism<readonly number[], GnmaxOutput> {
  readonly sigma: number;
  readonly accounting: VoteAccounting;
  /** The sampler actually used: its sigma^2 is sigma^2, or at most 2^-21.5 (1 + 1/sigma) above it. */
  readonly sampler: DiscreteGaussianSampler;
}

/**
 * GNMax (Scalable PATE, sect. 4.1): argmax_j (n_j + Z_j), Z_j ~ N_Z(0, sigma^2) exact discrete Gaussian on the
 * integer vote counts, ties broken uniformly at random. Privacy map: RDP alpha / sigma^2 (L2 sensitivity sqrt 2 of
 * the histogram; the discrete Gaussian's Renyi divergence at integer shifts is at most the continuous one, CKS 2020
 * sect. 2: the shifted theta sum is largest unshifted), or Scalable PATE Thm 6 / Prop 7 with the votes (event kind gnmaxDataDependent).
 */
export function makeGnmax(options: GnmaxOptions): GnmaxMechanism {
  assertPositiveFinite(options?.sigma, 'sigma');
  const accounting = options.accounting ?? 'dataDependent';
  assertOneOf(accounting, ['dataDependent', 'dataIndependent'] as const, 'accounting');
  const sigma = options.sigma;
  const sampler = DiscreteGaussianSampler.fromSigma(sigma);
  const noise = (rng: Rng): number => sampler.sample(rng);
  return {
    sigma,
    accounting,
    sampler,
    run(votes, rng) {
      assertVoteHistogram(votes, 'votes');
      return { label: noisyArgmax(votes, rng, noise) };
    },
    event(votes): DpEvent {
      assertVoteHistogram(votes, 'votes');
      return accounting === 'dataDependent'
        ? { kind: 'gnmaxDataDependent', sigma, votes: Array.from(votes) }
        : { kind: 'gnmaxDataIndependent', sigma };
    },
  };
}
