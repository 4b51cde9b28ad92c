import { DpError } from '../errors/dp-error.js';
import type { MultiLabelGnmaxDpEvent } from '../events/dp-event.js';
import type { Rng } from '../rng/rng.js';
import { sampleGaussian } from '../samplers/continuous-noise-sampler.js';
import { DiscreteGaussianSampler } from '../samplers/discrete-gaussian-sampler.js';
import type { Mechanism, VoteAccounting } from './mechanism.js';
import { assertOneOf, assertPositiveFinite } from './mechanism-input-validation.js';

/**
 * The votes of one multi-label query: either every teacher's binary vote vector (needed for tau-clipping), or,
 * without clipping, the aggregate per-label yes counts (what the guardian reconstructs in confidential mode).
 */
export type MultiLabelInput =
  | { readonly teacherVotes: readonly (readonly number[])[] }
  | { readonly positives: readonly number[]; readonly numTeachers: number };

export interface MultiLabelGnmaxOptions {
  readonly sigma: number;
  /**
   * tau voting: each teacher's binary vote vector v is L2-clipped, v * min(1, tau / ||v||_2) (Dziedzic et al. 2022,
   * "Private Multi-Winner Voting", tau voting bounds the votes in their L2 norm). Omitted: Binary voting.
   */
  readonly tau?: number;
  /** Default 'dataDependent' (union-bound logq over labels in the accountant). */
  readonly accounting?: VoteAccounting;
}

export interface MultiLabelGnmaxOutput {
  /** One 0/1 entry per label. */
  readonly labels: number[];
}

export interface MultiLabelGnmaxMechanism extends Mechanism<MultiLabelInput, MultiLabelGnmaxOutput> {
  readonly sigma: number;
  readonly tau?: number;
  readonly accounting: VoteAccounting;
  /** The per-label yes counts after clipping (what is noised and what the event records). */
  aggregate(input: MultiLabelInput): { positives: number[]; numTeachers: number };
}

function aggregate(input: MultiLabelInput, tau: number | undefined): { positives: number[]; numTeachers: number } {
  if (input === null || typeof input !== 'object')
    throw new DpError('INVALID_ARGUMENT', 'multi-label input is required');
  if ('teacherVotes' in input) {
    const rows = input.teacherVotes;
    if (!Array.isArray(rows) || rows.length < 1)
      throw new DpError('INVALID_ARGUMENT', 'teacherVotes must list at least one teacher');
    const k = Array.isArray(rows[0]) ? rows[0].length : 0;
    if (k < 1) throw new DpError('INVALID_ARGUMENT', 'teacherVotes rows must have at least one label');
    const positives = new Array<number>(k).fill(0);
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== k)
        throw new DpError('INVALID_ARGUMENT', 'teacherVotes rows must all have the same length');
      let yes = 0;
      for (const x of row) {
        if (x !== 0 && x !== 1) throw new DpError('INVALID_ARGUMENT', 'teacherVotes entries must be 0 or 1');
        yes += x;
      }
      // ||v||_2 = sqrt(yes) for a binary vector.
      const factor = tau === undefined || yes === 0 ? 1 : Math.min(1, tau / Math.sqrt(yes));
      for (let j = 0; j < k; j++) positives[j] += row[j] * factor;
    }
    return { positives, numTeachers: rows.length };
  }
  if (tau !== undefined) {
    throw new DpError('INVALID_ARGUMENT', 'tau-clipping needs the per-teacher vote vectors (teacherVotes)');
  }
  const { positives, numTeachers } = input;
  if (typeof numTeachers !== 'number' || !Number.isSafeInteger(numTeachers) || numTeachers < 1) {
    throw new DpError('INVALID_ARGUMENT', 'numTeachers must be an integer >= 1');
  }
  if (!Array.isArray(positives) || positives.length < 1)
    throw new DpError('INVALID_ARGUMENT', 'positives must list at least one label');
  for (const p of positives) {
    if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0 || p > numTeachers) {
      throw new DpError('INVALID_ARGUMENT', 'positives must be integers in [0, numTeachers]');
    }
  }
  return { positives: Array.from(positives), numTeachers };
}

/**
 * Multi-label voting (Dziedzic et al. 2022, Private Multi-Winner Voting, Binary and tau voting): per label j a
 * binary GNMax on [no_j, yes_j] = [n - s_j, s_j], each count plus N(0, sigma^2), label 1 iff the noisy yes count is
 * larger (ties uniformly at random). Without clipping the counts are integers and the noise is the exact discrete
 * Gaussian; with tau-clipping the counts are fractional, where integer noise would not be shift-invariant, so the
 * noise is the continuous (float) Gaussian. Privacy map: event kind multiLabelGnmax with the clipped counts.
 */
export function makeMultiLabelGnmax(options: MultiLabelGnmaxOptions): MultiLabelGnmaxMechanism {
  assertPositiveFinite(options?.sigma, 'sigma');
  const tau = options.tau;
  if (tau !== undefined) assertPositiveFinite(tau, 'tau');
  const accounting = options.accounting ?? 'dataDependent';
  assertOneOf(accounting, ['dataDependent', 'dataIndependent'] as const, 'accounting');
  const sigma = options.sigma;
  const discrete = DiscreteGaussianSampler.fromSigma(sigma);
  // With tau, a neighbouring query's counts may be fractional even when these are not: always continuous noise then.
  const noise: (rng: Rng) => number =
    tau === undefined ? (rng) => discrete.sample(rng) : (rng) => sampleGaussian(rng, sigma);
  return {
    sigma,
    ...(tau === undefined ? {} : { tau }),
    accounting,
    aggregate: (input) => aggregate(input, tau),
    run(input, rng) {
      const { positives, numTeachers } = aggregate(input, tau);
      const labels = positives.map((yes) => {
        const noisyYes = yes + noise(rng);
        const noisyNo = numTeachers - yes + noise(rng);
        if (noisyYes !== noisyNo) return noisyYes > noisyNo ? 1 : 0;
        return rng.nextBoolean() ? 1 : 0;
      });
      return { labels };
    },
    event(input): MultiLabelGnmaxDpEvent {
      const { positives, numTeachers } = aggregate(input, tau);
      return {
        kind: 'multiLabelGnmax',
        sigma,
        numTeachers,
        positives,
        ...(tau === undefined ? {} : { tau }),
        dataDependent: accounting === 'dataDependent',
      };
    },
  };
}
