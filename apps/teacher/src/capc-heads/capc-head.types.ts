import type { CapcDenseLayer } from '@conclave/ml';

/** What every confidential-mode head of a partition carries. */
interface CapcHeadCommon {
  partitionId: string;
  /** 0-based rank of the partition among all the dataset's partitions, ordered by name (as plaintext votes are). */
  partitionIndex: number;
  partitionName: string;
  /** The public feature extractor (libs/ml `publicFeatureExtractorById`) the querying party must run. */
  extractorId: string;
  classes: number;
  /** Length of the extracted feature vector the head takes. */
  dimension: number;
  /** SHA-256 of the head (libs/ml `encodeCapcHead`), verified when it is read back. */
  contentHash: string;
}

/** A linear head (BFV): logits = W x + b. Quantize with libs/ml `quantizeLinearHead` for `BfvLinearTeacher`. */
export interface CapcLinearHead extends CapcHeadCommon {
  kind: 'linear';
  /** Row-major classes × dimension. */
  weights: Float32Array;
  bias: Float32Array;
  layers?: undefined;
}

/**
 * A square-activation MLP head (CKKS_16384): logits = W2 (W1 x + b1)^2 + b2. `layers` is libs/crypto's `CkksMlp`;
 * `weights`/`bias` repeat its output layer (row-major classes × hidden units), not a classes × dimension matrix.
 */
export interface CapcSquareMlpHead extends CapcHeadCommon {
  kind: 'square-mlp';
  weights: Float32Array;
  bias: Float32Array;
  layers: { inputs: number; hidden: CapcDenseLayer; output: CapcDenseLayer };
}

export type CapcHead = CapcLinearHead | CapcSquareMlpHead;
