/** Test-only helpers for the mechanism specs (not exported from the package). */
import { DpError } from '../errors/dp-error.js';
import { discreteGaussianPmf } from '../samplers/discrete-gaussian-sampler.js';

/** The DpError code thrown by fn, or undefined. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DpError ? e.code : `not a DpError: ${String(e)}`;
  }
  return undefined;
}

/** pmf of W = Z0 - Z1 for independent discrete Gaussians on a symmetric support, as a map from d to P[W = d]. */
export function differencePmf(support: readonly number[], probabilities: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < support.length; i++) {
    for (let j = 0; j < support.length; j++) {
      const d = support[i] - support[j];
      out.set(d, (out.get(d) ?? 0) + probabilities[i] * probabilities[j]);
    }
  }
  return out;
}

/** Exact P[class 0 wins] of noisy argmax over [a, b] with the given difference pmf and fair tie-breaking. */
export function twoClassWinProbability(a: number, b: number, difference: Map<number, number>): number {
  let p = 0;
  for (const [d, pd] of difference) {
    if (a + d > b) p += pd;
    else if (a + d === b) p += pd / 2;
  }
  return p;
}

/** Exact P[N_Z(0, sigma^2) >= k]. */
export function discreteGaussianSurvival(sigma: number, k: number): number {
  const { support, probabilities } = discreteGaussianPmf(sigma);
  let p = 0;
  for (let i = 0; i < support.length; i++) if (support[i] >= k) p += probabilities[i];
  return p;
}
