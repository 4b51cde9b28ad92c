import { DpError } from '../errors/dp-error.js';
import type { Rng } from '../rng/rng.js';

function checkScale(x: number, what: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0))
    throw new DpError('INVALID_ARGUMENT', `${what} must be a finite number > 0`);
}

/**
 * Continuous N(0, sigma^2) by the Box-Muller transform (Box & Muller 1958) on two 53-bit uniforms from the Rng.
 * Floating point: the tails are cut at about 8.6 sigma and the output lives on a float grid, so this is NOT an
 * exact sampler; use it only for real-valued releases (e.g. the smooth-sensitivity noise). Integer vote counts
 * get the exact discrete samplers instead (see DiscreteGaussianSampler).
 */
export function sampleGaussian(rng: Rng, sigma: number): number {
  checkScale(sigma, 'sigma');
  const radius = Math.sqrt(-2 * Math.log(rng.nextUniform()));
  return sigma * radius * Math.cos(2 * Math.PI * rng.nextUniform());
}

/**
 * Continuous Laplace(0, scale): a random sign times scale * Exp(1), Exp(1) = -ln U (inverse CDF).
 * Floating point, tails cut at about 36.7 scale; not hardened against Mironov's (CCS 2012) floating-point
 * attack, so it is for real-valued releases only; integer counts use DiscreteLaplaceSampler.
 */
export function sampleLaplace(rng: Rng, scale: number): number {
  checkScale(scale, 'scale');
  const magnitude = -Math.log(rng.nextUniform()) * scale;
  return rng.nextBoolean() ? -magnitude : magnitude;
}
