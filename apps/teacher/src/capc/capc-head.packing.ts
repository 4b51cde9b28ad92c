import type { QuantizedLinearHead } from '@conclave/crypto';

/**
 * Packing of several partitions' quantized heads (libs/ml `quantizeLinearHead`) into one BFV product: the heads are
 * stacked (classes = Σ k) so that one ciphertext × plaintext product answers them all.
 */
export function stackHeads(heads: QuantizedLinearHead[]): QuantizedLinearHead {
  const first = heads[0]!;
  if (heads.some((h) => h.features !== first.features || h.maxAbsFeature !== first.maxAbsFeature)) {
    throw new Error('stackHeads: heads of different feature dimensions or bounds');
  }
  const classes = heads.reduce((n, h) => n + h.classes, 0);
  const weights = new Int32Array(classes * first.features);
  const bias = new Int32Array(classes);
  let row = 0;
  for (const head of heads) {
    weights.set(head.weights, row * first.features);
    bias.set(head.bias, row);
    row += head.classes;
  }
  return { classes, features: first.features, weights, bias, maxAbsFeature: first.maxAbsFeature };
}

/**
 * Partitions per product, from libs/crypto's layout condition (G·k + 1)·d ≤ N + 1 (G partitions of k classes,
 * d features, ring degree N).
 */
export function partitionsPerProduct(degree: number, classes: number, dimension: number): number {
  return Math.max(0, Math.floor(((degree + 1) / dimension - 1) / classes));
}
