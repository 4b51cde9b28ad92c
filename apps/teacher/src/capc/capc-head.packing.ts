import { BfvLinearTeacher, isCryptoError, type HeContext, type QuantizedLinearHead } from '@conclave/crypto';

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
 * Partitions per product, from libs/crypto's layout condition (G·k + 1)·d ≤ S + 1 (G partitions of k classes,
 * d features; S the coefficients per query: the ring degree N with one query per ciphertext, floor(N / Q) with Q).
 */
export function partitionsPerProduct(stride: number, classes: number, dimension: number): number {
  return Math.max(0, Math.floor(((stride + 1) / dimension - 1) / classes));
}

/**
 * The heads prepared as BFV products, in order: each product takes as many partitions as the layout allows AND as
 * libs/crypto's noise budget accepts for these weights (it refuses with PARAMETERS_INSUFFICIENT; on BFV_4096 that is
 * often fewer than the layout's bound). One partition that does not fit alone is a parameter error for the caller.
 */
export function prepareProducts(
  context: HeContext,
  heads: QuantizedLinearHead[],
  layout: number,
  floodingSecurityBits: number,
  queriesPerCiphertext = 1,
): { groups: BfvLinearTeacher[]; packing: number[] } {
  const groups: BfvLinearTeacher[] = [];
  const packing: number[] = [];
  try {
    for (let i = 0; i < heads.length;) {
      for (let g = Math.min(layout, heads.length - i); ; g--) {
        try {
          groups.push(
            BfvLinearTeacher.prepare(context, stackHeads(heads.slice(i, i + g)), {
              floodingSecurityBits,
              queriesPerCiphertext,
            }),
          );
          packing.push(g);
          i += g;
          break;
        } catch (error) {
          if (g <= 1 || !isCryptoError(error, 'PARAMETERS_INSUFFICIENT')) throw error;
        }
      }
    }
  } catch (error) {
    for (const group of groups) group.dispose();
    throw error;
  }
  return { groups, packing };
}
