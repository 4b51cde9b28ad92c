import type { CapcExtractorDescriptor } from '@conclave/contracts';
import type { QuantizedLinearHead } from '@conclave/crypto';
import type { CapcHead } from './capc-head.source.js';

/**
 * A linear head in fixed point for BFV, consistent with the querying party's quantized features
 * x_q = clamp(round(x · featureScale), ±maxAbsFeature): W_q = round(W · s), b_q = round(b · s · featureScale), with s
 * the largest scale such that |W_q x_q + b_q| < t/4 for every admissible x_q (each row's weight part below t/8, the
 * bias below t/8). Scaling by s > 0 keeps the argmax, up to rounding. Exported for the plaintext reference in tests.
 */
export function quantizeCapcHead(
  head: Pick<CapcHead, 'classes' | 'dimension' | 'weights' | 'bias'>,
  extractor: CapcExtractorDescriptor,
  modulus: number,
): QuantizedLinearHead {
  const { classes, dimension: d } = head;
  const budget = Math.floor(modulus / 8) - 1;
  let rowMax = 0;
  for (let i = 0; i < classes; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) row += Math.abs(head.weights[i * d + j]!);
    rowMax = Math.max(rowMax, row);
  }
  let scale = rowMax > 0 ? budget / (rowMax * extractor.maxAbsFeature) : 1;
  let biasMax = 0;
  for (let i = 0; i < classes; i++) biasMax = Math.max(biasMax, Math.abs(head.bias[i]!));
  if (biasMax * scale * extractor.featureScale > budget) scale = budget / (biasMax * extractor.featureScale);
  // Rounding adds at most 1/2 per weight: keep a margin of d · maxAbsFeature.
  scale *= 1 - Math.min(0.5, (d * extractor.maxAbsFeature) / Math.max(1, budget));
  const weights = Int32Array.from(head.weights, (w) => Math.round(w * scale));
  const bias = Int32Array.from(head.bias, (b) => Math.round(b * scale * extractor.featureScale));
  return { classes, features: d, weights, bias, maxAbsFeature: extractor.maxAbsFeature };
}

/** Several partitions' heads stacked into one (classes = Σ k): one product answers them all. */
export function stackHeads(heads: QuantizedLinearHead[]): QuantizedLinearHead {
  const first = heads[0]!;
  const classes = heads.reduce((n, h) => n + h.classes, 0);
  const weights = new Int32Array(classes * first.features);
  const bias = new Int32Array(classes);
  let row = 0;
  for (const head of heads) {
    weights.set(Array.from(head.weights), row * first.features);
    bias.set(Array.from(head.bias), row);
    row += head.classes;
  }
  return { classes, features: first.features, weights, bias, maxAbsFeature: first.maxAbsFeature };
}

/** Partitions per product: (G·k + 1)·d ≤ N + 1. */
export function partitionsPerProduct(degree: number, classes: number, dimension: number): number {
  return Math.max(0, Math.floor(((degree + 1) / dimension - 1) / classes));
}
