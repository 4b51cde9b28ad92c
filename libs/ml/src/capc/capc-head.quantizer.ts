import { DomainError } from '@conclave/common';
import type { LinearHead } from './capc-head.types.js';

/**
 * A linear head in fixed point for BFV (structurally libs/crypto's `QuantizedLinearHead`): with quantized features
 * x_q = round(x * featureScale), the integer logits W_q x_q + b_q approximate (W x + b) * weightScale * featureScale.
 */
export interface QuantizedCapcLinearHead {
  readonly classes: number;
  /** = the head's dimension (libs/crypto's name). */
  readonly features: number;
  /** round(W * weightScale), classes x features, row-major. */
  readonly weights: Int32Array;
  /** round(b * weightScale * featureScale). */
  readonly bias: Int32Array;
  readonly maxAbsFeature: number;
  readonly featureScale: number;
  readonly weightScale: number;
}

export interface QuantizeLinearHeadOptions {
  /**
   * Bound on |logit| for every admissible query (|x_q| <= maxAbsFeature). Default 2^26: libs/crypto needs
   * |logit| < t / 4 ≈ 2^28 (t = 1073692673, every BFV parameter set); a factor 4 of margin.
   */
  logitBound?: number;
}

/**
 * Chooses the largest weight scale that keeps every logit below `logitBound` — counting the rounding of every
 * weight (at most 1/2 each) — and rounds the head to integers. The result's worst-case |logit| (libs/crypto's
 * `maxAbsLogit`) is checked below the bound.
 */
export function quantizeLinearHead(
  head: LinearHead,
  features: { featureScale: number; maxAbsFeature: number },
  options: QuantizeLinearHeadOptions = {},
): QuantizedCapcLinearHead {
  const { classes: k, dimension: d } = head;
  const { featureScale, maxAbsFeature } = features;
  const bound = options.logitBound ?? 2 ** 26;
  if (!(featureScale > 0) || !Number.isSafeInteger(maxAbsFeature) || maxAbsFeature < 1) {
    throw new DomainError('VALIDATION_FAILED', 'quantizeLinearHead: featureScale > 0 and an integer maxAbsFeature');
  }
  if (head.weights.length !== k * d || head.bias.length !== k) {
    throw new DomainError('VALIDATION_FAILED', 'quantizeLinearHead: weights must be classes x dimension');
  }
  // |logit_i| <= |b_i| s fs + 1/2 + sum_j (|W_ij| s + 1/2) A, where s is the weight scale and A = maxAbsFeature.
  const slack = 0.5 + 0.5 * d * maxAbsFeature;
  let largest = 0;
  for (let i = 0; i < k; i++) {
    let row = Math.abs(head.bias[i]) * featureScale;
    for (let j = 0; j < d; j++) row += Math.abs(head.weights[i * d + j]) * maxAbsFeature;
    largest = Math.max(largest, row);
  }
  if (!Number.isFinite(largest) || bound - slack <= 1) {
    throw new DomainError('VALIDATION_FAILED', 'quantizeLinearHead: the head does not fit the logit bound');
  }
  const weightScale = largest === 0 ? 1 : (bound - slack) / largest;
  const weights = Int32Array.from(head.weights, (w) => Math.round(w * weightScale));
  const bias = Int32Array.from(head.bias, (b) => Math.round(b * weightScale * featureScale));
  let worst = 0;
  for (let i = 0; i < k; i++) {
    let row = Math.abs(bias[i]);
    for (let j = 0; j < d; j++) row += Math.abs(weights[i * d + j]) * maxAbsFeature;
    worst = Math.max(worst, row);
  }
  if (worst >= bound) throw new DomainError('INTERNAL', 'quantizeLinearHead: logit bound exceeded');
  return { classes: k, features: d, weights, bias, maxAbsFeature, featureScale, weightScale };
}
