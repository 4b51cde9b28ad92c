// RDP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the
// Sampled Gaussian Mechanism", Sect. 3; tensorflow_privacy rdp_accountant.compute_rdp). RDP = log(A_alpha)/(alpha-1):
// - integer alpha: A_alpha = sum_k C(alpha,k) q^k (1-q)^{alpha-k} exp((k^2 - k)/(2 sigma^2))  (their eq. for integer
//   orders), summed as 1 + (A_alpha - 1) to stay accurate for tiny RDPs;
// - fractional alpha: the two-sided series with the split point z0 = sigma^2 ln(1/q - 1) + 1/2 and erfc tails, summed
//   until both terms fall below e^-30 (their Sect. 3.3).
// Everything is summed in log space.

import { DpError } from '../errors/dp-error.js';
import { logAddExp, logSubExp } from '../numerics/log-math.js';
import { logErfc } from '../numerics/normal-tail.js';
import { assertOrders, type Orders } from './rdp-orders-check.js';

/**
 * log(A_alpha - 1) for integer alpha: since the binomial weights sum to 1,
 * A_alpha - 1 = sum_{k>=2} C(alpha,k) q^k (1-q)^{alpha-k} expm1((k^2 - k)/(2 sigma^2)), a sum of positive terms, so the
 * small RDP of small q is obtained without the cancellation of log(A) near A = 1.
 */
function logAMinusOneInteger(q: number, sigma: number, alpha: number): number {
  let acc = -Infinity;
  let logBinom = Math.log(alpha); // log C(alpha, 1)
  const logQ = Math.log(q);
  const log1Q = Math.log1p(-q);
  for (let k = 2; k <= alpha; k++) {
    logBinom += Math.log(alpha - k + 1) - Math.log(k);
    const c = (k * k - k) / (2 * sigma ** 2);
    const logExpm1 = c > 30 ? c + Math.log1p(-Math.exp(-c)) : Math.log(Math.expm1(c));
    acc = logAddExp(acc, logBinom + k * logQ + (alpha - k) * log1Q + logExpm1);
  }
  return acc;
}

function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma ** 2 * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1Q = Math.log1p(-q);
  let coef = 1; // C(alpha, i), generalised binomial coefficient
  for (let i = 0; i < 100_000; i++) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1Q;
    const logT1 = logCoef + j * logQ + i * log1Q;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma ** 2) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma ** 2) + logE1;
    if (coef > 0) {
      logA0 = logAddExp(logA0, logS0);
      logA1 = logAddExp(logA1, logS1);
    } else {
      // Alternating tail: the partial sums stay positive (Mironov et al. 2019). If rounding ever broke that, report
      // no privacy rather than an underestimate.
      if (logS0 > logA0 || logS1 > logA1) return Infinity;
      logA0 = logSubExp(logA0, logS0);
      logA1 = logSubExp(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAddExp(logA0, logA1);
}

/** RDP at one order of the Sampled Gaussian Mechanism with sampling rate q and noise multiplier sigma. */
export function rdpSubsampledGaussianAt(q: number, noiseMultiplier: number, alpha: number): number {
  if (!(q >= 0 && q <= 1))
    throw new DpError('INVALID_ARGUMENT', `rdpSubsampledGaussian: q must be in [0, 1], got ${q}`);
  if (!(noiseMultiplier >= 0))
    throw new DpError('INVALID_ARGUMENT', `rdpSubsampledGaussian: noise multiplier must be >= 0`);
  if (q === 0) return 0;
  if (noiseMultiplier === 0) return Infinity;
  if (q === 1) return alpha / (2 * noiseMultiplier ** 2);
  if (alpha === Infinity) return Infinity;
  let logA: number;
  if (Number.isInteger(alpha)) {
    const l = logAMinusOneInteger(q, noiseMultiplier, alpha); // log A = log(1 + e^l)
    logA = l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l));
  } else {
    logA = logAFractional(q, noiseMultiplier, alpha);
  }
  const r = logA / (alpha - 1);
  return Number.isNaN(r) ? Infinity : r;
}

/** steps-fold composition of the Sampled Gaussian Mechanism (rdp_accountant.compute_rdp(q, sigma, steps, orders)). */
export function rdpSubsampledGaussian(q: number, noiseMultiplier: number, steps: number, orders: Orders): Float64Array {
  assertOrders(orders, 'rdpSubsampledGaussian');
  const out = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i++) out[i] = rdpSubsampledGaussianAt(q, noiseMultiplier, orders[i]!) * steps;
  return out;
}
