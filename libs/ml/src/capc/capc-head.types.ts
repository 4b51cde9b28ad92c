/**
 * Teacher heads of confidential mode: small models on a public extractor's features that a teacher evaluates
 * homomorphically (libs/crypto). Weights are plain typed arrays in the layouts libs/crypto takes, so a head
 * passes to `BfvLinearTeacher.prepare` (after `quantizeLinearHead`) or `CkksMlpTeacher.prepare` as it is.
 */

/** A dense layer, y = W x + b, with W `rows x cols` row-major (libs/crypto's `CkksDenseLayer`). */
export interface CapcDenseLayer {
  readonly rows: number;
  readonly cols: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** Softmax regression on the extracted features: logits = W x + b, W `classes x dimension` row-major. */
export interface LinearHead {
  readonly kind: 'linear';
  /** The public extractor the head was trained on (see `publicFeatureExtractor`). */
  readonly extractorId: string;
  readonly classes: number;
  readonly dimension: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/**
 * One hidden layer with the square activation: logits = W2 (W1 x + b1)^2 + b2 (CryptoNets, Gilad-Bachrach et al.,
 * ICML 2016). `{ inputs, hidden, output }` is libs/crypto's `CkksMlp`.
 */
export interface SquareMlpHead {
  readonly kind: 'square-mlp';
  readonly extractorId: string;
  readonly classes: number;
  readonly dimension: number;
  /** = dimension (the name libs/crypto's `CkksMlp` uses). */
  readonly inputs: number;
  readonly hidden: CapcDenseLayer;
  readonly output: CapcDenseLayer;
}

export type CapcHeadModel = LinearHead | SquareMlpHead;
export type CapcHeadKind = CapcHeadModel['kind'];

export interface HeadTrainOptions {
  /** Recorded with the head: the extractor whose output `features` are. */
  extractorId: string;
  /** Default: enough epochs for about 200 steps, between 15 and 50 (240 records: 50; 6,000: 15). */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Adam's step size. Default 0.02 (linear), 0.01 (square MLP). */
  learningRate?: number;
  /** L2 penalty coefficient on the weight matrices (not the biases), added to the mean loss. Default 1e-4. */
  weightDecay?: number;
  /** Seeds the shuffling (and the square MLP's initial weights). Default 1: heads are reproducible. */
  seed?: number;
  /** Checked between batches. */
  signal?: AbortSignal;
}

export interface SquareMlpTrainOptions extends HeadTrainOptions {
  /** Hidden units. Default 32; at most 256 (libs/crypto's CKKS packing width). */
  hiddenUnits?: number;
}

export interface HeadTrainResult<H extends CapcHeadModel> {
  head: H;
  epochs: number;
  steps: number;
  /** Mean cross-entropy over the last epoch's batches (without the penalty). */
  loss: number;
  /** Accuracy of the final head on its training data. */
  accuracy: number;
  seconds: number;
  seed: number;
}
