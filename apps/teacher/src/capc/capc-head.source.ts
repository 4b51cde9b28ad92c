/**
 * The seam to the teachers' confidential-mode heads (apps/teacher/src/capc-heads, CapcHeadsService.headsFor): one
 * head per partition, trained on the public feature extractor's output when the teachers are trained.
 */
export interface CapcHead {
  partitionId: string;
  partitionIndex: number;
  extractorId: string;
  kind: 'linear' | 'square-mlp';
  classes: number;
  dimension: number;
  /** Row-major classes × dimension. */
  weights: Float32Array;
  bias: Float32Array;
  contentHash: string;
}

export interface CapcHeadSource {
  headsFor(datasetId: string): Promise<CapcHead[]>;
}

/** Injection token of the head source. */
export const CAPC_HEAD_SOURCE = Symbol('CAPC_HEAD_SOURCE');
