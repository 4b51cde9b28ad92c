import { DpError } from '../errors/dp-error.js';
import type { DpEvent, GaussianDpEvent, LaplaceDpEvent } from '../events/dp-event.js';
import { sampleGaussian, sampleLaplace } from '../samplers/continuous-noise-sampler.js';
import { DiscreteGaussianSampler } from '../samplers/discrete-gaussian-sampler.js';
import type { Mechanism } from './mechanism.js';
import { assertFinite, assertPositiveFinite } from './mechanism-input-validation.js';

export interface GaussianMechanismOptions {
  readonly sigma: number;
  /** L2 sensitivity of the query (default 1). */
  readonly sensitivity?: number;
  /**
   * true: the query is integer-valued and gets exact discrete Gaussian noise (CKS 2020), whose RDP at integer
   * shifts is at most the continuous alpha Delta^2 / (2 sigma^2) (CKS 2020 sect. 2). false (default): continuous
   * float noise for a real-valued query.
   */
  readonly integer?: boolean;
}

export interface AdditiveNoiseMechanism<E extends DpEvent> extends Mechanism<number, number> {
  event(input?: number): E;
}

export interface GaussianMechanism extends AdditiveNoiseMechanism<GaussianDpEvent> {
  readonly sigma: number;
  readonly sensitivity: number;
  readonly integer: boolean;
}

/** The Gaussian mechanism value + N(0, sigma^2) (Dwork & Roth 2014, Thm A.1; RDP: Mironov 2017, Prop. 7). */
export function makeGaussian(options: GaussianMechanismOptions): GaussianMechanism {
  assertPositiveFinite(options?.sigma, 'sigma');
  const sensitivity = options.sensitivity ?? 1;
  assertPositiveFinite(sensitivity, 'sensitivity');
  const integer = options.integer ?? false;
  if (typeof integer !== 'boolean') throw new DpError('INVALID_ARGUMENT', 'integer must be a boolean');
  const sigma = options.sigma;
  const discrete = integer ? DiscreteGaussianSampler.fromSigma(sigma) : undefined;
  return {
    sigma,
    sensitivity,
    integer,
    run(value, rng) {
      assertFinite(value, 'value');
      if (discrete === undefined) return value + sampleGaussian(rng, sigma);
      if (!Number.isSafeInteger(value))
        throw new DpError('INVALID_ARGUMENT', 'value must be a safe integer (integer mode)');
      return value + discrete.sample(rng);
    },
    event() {
      return { kind: 'gaussian', sigma, sensitivity };
    },
  };
}

export interface LaplaceMechanismOptions {
  readonly scale: number;
  /** L1 sensitivity of the query (default 1). */
  readonly sensitivity?: number;
}

export interface LaplaceMechanism extends AdditiveNoiseMechanism<LaplaceDpEvent> {
  readonly scale: number;
  readonly sensitivity: number;
}

/**
 * The Laplace mechanism value + Lap(scale) on a real-valued query (Dwork & Roth 2014, Thm 3.6; RDP: Mironov 2017,
 * Prop. 6). Continuous only: the laplace event's RDP formula is that of the continuous Laplace, and the discrete
 * Laplace has a larger Renyi divergence at finite orders, so integer queries should use makeGaussian({ integer })
 * or a discrete-Laplace-aware event (LNMax charges its discrete Laplace through pure DP).
 */
export function makeLaplace(options: LaplaceMechanismOptions): LaplaceMechanism {
  assertPositiveFinite(options?.scale, 'scale');
  const sensitivity = options.sensitivity ?? 1;
  assertPositiveFinite(sensitivity, 'sensitivity');
  const scale = options.scale;
  return {
    scale,
    sensitivity,
    run(value, rng) {
      assertFinite(value, 'value');
      return value + sampleLaplace(rng, scale);
    },
    event() {
      return { kind: 'laplace', scale, sensitivity };
    },
  };
}
