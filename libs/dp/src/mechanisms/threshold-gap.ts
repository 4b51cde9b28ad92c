import { rationalFromDouble } from '../samplers/exact-rational.js';

function signedScaled(x: number, bits: bigint): bigint {
  const r = rationalFromDouble(Math.abs(x));
  const scaled = r.numerator * ((1n << bits) / r.denominator);
  return x < 0 ? -scaled : scaled;
}

function denominatorBits(x: number): bigint {
  const d = rationalFromDouble(Math.abs(x)).denominator;
  return BigInt(d.toString(2).length - 1);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
}

/**
 * k = ceil(T - max_j (votes_j - baseline_j)), computed exactly (doubles are dyadic rationals).
 * With an integer-valued noise Z, "max + Z >= T" is exactly "Z >= k". Replacing one teacher moves the max by at
 * most 1, and ceil(x + 1) = ceil(x) + 1, so k is an integer statistic of sensitivity 1: the threshold test is the
 * discrete Gaussian mechanism on k followed by post-processing, with the RDP alpha / (2 sigma1^2) of Scalable PATE
 * sect. 4.2 (the discrete Gaussian at integer shifts has the continuous Renyi divergence bound, CKS 2020 sect. 2). Exactness matters: a float
 * rounding of T - max at an integer boundary could move k by 2 between neighbours.
 */
export function thresholdGap(threshold: number, votes: ArrayLike<number>, baseline?: ArrayLike<number>): number {
  if (baseline === undefined) {
    let max = -Infinity;
    for (let j = 0; j < votes.length; j++) if (votes[j] > max) max = votes[j];
    return Math.ceil(threshold) - max; // votes are integers: ceil(T - m) = ceil(T) - m, exact for safe integers
  }
  let bits = denominatorBits(threshold);
  for (let j = 0; j < baseline.length; j++) {
    const b = denominatorBits(baseline[j]);
    if (b > bits) bits = b;
  }
  const one = 1n << bits;
  let max: bigint | undefined;
  for (let j = 0; j < votes.length; j++) {
    const x = BigInt(votes[j]) * one - signedScaled(baseline[j], bits);
    if (max === undefined || x > max) max = x;
  }
  return Number(ceilDiv(signedScaled(threshold, bits) - (max ?? 0n), one));
}
