import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { capcHeadAccuracy } from './capc-head.inference.js';
import type {
  CapcHeadModel,
  HeadTrainOptions,
  HeadTrainResult,
  LinearHead,
  SquareMlpHead,
  SquareMlpTrainOptions,
} from './capc-head.types.js';

/** Extracted features: one vector per record, or a row-major matrix of `count` records. */
export type HeadFeatures = ReadonlyArray<ArrayLike<number>> | { matrix: Float32Array; count: number };

/** Largest packing width of libs/crypto's CKKS heads. */
const MAX_CKKS_WIDTH = 256;
/** Default training length: about this many Adam steps, within [MIN_EPOCHS, MAX_EPOCHS]. */
const TARGET_STEPS = 200;
const MIN_EPOCHS = 15;
const MAX_EPOCHS = 50;

interface PreparedData {
  matrix: Float32Array;
  count: number;
  dimension: number;
  labels: Int32Array;
  classes: number;
}

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `CaPC head: ${message}`);
}

function prepare(features: HeadFeatures, labels: ArrayLike<number>, classes: number): PreparedData {
  let matrix: Float32Array;
  let count: number;
  if ('matrix' in features) {
    ({ matrix, count } = features);
  } else {
    count = features.length;
    const dimension = count > 0 ? features[0].length : 0;
    matrix = new Float32Array(count * dimension);
    features.forEach((row, i) => {
      if (row.length !== dimension) throw invalid(`record ${i + 1} has ${row.length} features, not ${dimension}`);
      matrix.set(row, i * dimension);
    });
  }
  if (!Number.isSafeInteger(count) || count <= 0) throw invalid('no training records');
  const dimension = matrix.length / count;
  if (!Number.isSafeInteger(dimension) || dimension <= 0) throw invalid('the feature matrix is not count x dimension');
  if (!Number.isSafeInteger(classes) || classes < 2) throw invalid('at least 2 classes');
  if (labels.length !== count) throw invalid('one label per record');
  const ints = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw invalid(`label of record ${i + 1} out of range`);
    ints[i] = c;
  }
  for (let i = 0; i < matrix.length; i++) if (!Number.isFinite(matrix[i])) throw invalid('non-finite feature');
  return { matrix, count, dimension, labels: ints, classes };
}

interface ResolvedOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
}

function resolve(options: HeadTrainOptions, count: number, defaultLearningRate: number): ResolvedOptions {
  const batchSize = options.batchSize ?? 64;
  const batches = Math.ceil(count / batchSize);
  const epochs = options.epochs ?? Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, Math.ceil(TARGET_STEPS / batches)));
  const learningRate = options.learningRate ?? defaultLearningRate;
  const weightDecay = options.weightDecay ?? 1e-4;
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(epochs) || epochs <= 0) throw invalid('epochs must be a positive integer');
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw invalid('batchSize must be a positive integer');
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw invalid('learningRate must be positive');
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw invalid('weightDecay must be >= 0');
  if (!Number.isSafeInteger(seed)) throw invalid('seed must be an integer');
  if (typeof options.extractorId !== 'string' || options.extractorId.length === 0) throw invalid('extractorId');
  return { epochs, batchSize, learningRate, weightDecay, seed };
}

/** A permutation of 0..n-1 from tf's seeded generator (as trainModel shuffles). */
function seededPermutation(n: number, seed: number): Int32Array {
  const keys = tf.tidy(() => tf.randomUniform([n], 0, 1, 'float32', seed).dataSync() as Float32Array);
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
}

/**
 * Mini-batch Adam on the softmax cross-entropy plus weightDecay * sum of squared weight matrices; shuffled every
 * epoch (seeded); yields to the event loop between batches. Every tensor is disposed.
 */
async function fit(
  data: PreparedData,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
  variables: tf.Variable[],
  penalized: tf.Variable[],
  forward: (x: tf.Tensor2D) => tf.Tensor2D,
): Promise<{ steps: number; loss: number }> {
  const { count, dimension, classes } = data;
  const optimizer = tf.train.adam(options.learningRate);
  const xs = tf.tensor2d(data.matrix, [count, dimension]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels, 'int32'), classes).toFloat());
  const batches = Math.ceil(count / options.batchSize);
  let steps = 0;
  let epochLoss = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const order = seededPermutation(count, (options.seed + epoch * 7919) % 2 ** 31);
      // The epoch's loss is summed on the backend and read once per epoch (a read per step forces a sync).
      let lossSum: tf.Scalar = tf.scalar(0);
      try {
        for (let b = 0; b < batches; b++) {
          signal?.throwIfAborted();
          const start = b * options.batchSize;
          const rows = order.subarray(start, Math.min(count, start + options.batchSize));
          const next = tf.tidy(() => {
            const index = tf.tensor1d(rows, 'int32');
            const xb = tf.gather(xs, index) as tf.Tensor2D;
            const yb = tf.gather(ys, index) as tf.Tensor2D;
            let crossEntropy: tf.Scalar | undefined;
            optimizer.minimize(
              () => {
                const ce = tf.losses.softmaxCrossEntropy(yb, forward(xb)) as tf.Scalar;
                crossEntropy = tf.keep(ce);
                if (options.weightDecay === 0) return ce;
                const penalty = tf.addN(penalized.map((w) => tf.sum(tf.square(w))));
                return tf.add(ce, tf.mul(penalty, options.weightDecay)) as tf.Scalar;
              },
              false,
              variables,
            );
            const total = tf.add(lossSum, crossEntropy!) as tf.Scalar;
            crossEntropy!.dispose(); // kept: tidy would not free it
            return total;
          });
          lossSum.dispose();
          lossSum = next;
          steps++;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        epochLoss = lossSum.dataSync()[0] / batches;
      } finally {
        lossSum.dispose();
      }
      if (!Number.isFinite(epochLoss)) throw invalid('training diverged (non-finite loss): lower the learning rate');
    }
  } finally {
    optimizer.dispose();
    xs.dispose();
    ys.dispose();
  }
  return { steps, loss: epochLoss };
}

/** A trainable variable from an initial value (freed at once: tidy keeps variables, disposes the rest). */
function variable(initial: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(initial()));
}

/** A variable's values transposed: tf keeps x W (W is in x out); heads keep W x (out x in, row-major). */
function transposed(variable: tf.Variable): Float32Array {
  return tf.tidy(() => tf.transpose(variable).dataSync() as Float32Array).slice();
}

function rowsOf(data: PreparedData): Float32Array[] {
  return Array.from({ length: data.count }, (_, i) =>
    data.matrix.subarray(i * data.dimension, (i + 1) * data.dimension),
  );
}

function result<H extends CapcHeadModel>(
  head: H,
  data: PreparedData,
  options: ResolvedOptions,
  fitted: { steps: number; loss: number },
  started: number,
): HeadTrainResult<H> {
  return {
    head,
    epochs: options.epochs,
    steps: fitted.steps,
    loss: fitted.loss,
    accuracy: capcHeadAccuracy(head, rowsOf(data), data.labels),
    seconds: (performance.now() - started) / 1000,
    seed: options.seed,
  };
}

/**
 * Trains a linear head — multinomial logistic (softmax) regression with an L2 penalty — on extracted features.
 * Starts from zero weights (the problem is convex), so the result depends only on the data and the seed of the
 * shuffling. Returns W (classes x dimension, row-major) and b in float32.
 */
export async function trainLinearHead(
  features: HeadFeatures,
  labels: ArrayLike<number>,
  classes: number,
  options: HeadTrainOptions,
): Promise<HeadTrainResult<LinearHead>> {
  const started = performance.now();
  const data = prepare(features, labels, classes);
  const resolved = resolve(options, data.count, 0.02);
  const weights = variable(() => tf.zeros([data.dimension, classes]));
  const bias = variable(() => tf.zeros([classes]));
  try {
    const fitted = await fit(data, resolved, options.signal, [weights, bias], [weights], (x) =>
      tf.add(tf.matMul(x, weights), bias),
    );
    const head: LinearHead = {
      kind: 'linear',
      extractorId: options.extractorId,
      classes,
      dimension: data.dimension,
      weights: transposed(weights),
      bias: (bias.dataSync() as Float32Array).slice(),
    };
    return result(head, data, resolved, fitted, started);
  } finally {
    weights.dispose();
    bias.dispose();
  }
}

/**
 * Trains a one-hidden-layer MLP with the square activation, the non-linearity CKKS evaluates exactly with one
 * ciphertext multiplication. Sized for libs/crypto's CKKS heads: every dimension (features, hidden units, classes)
 * at most 256; a hidden layer needs CKKS_16384 (three rescalings — CKKS_8192 fits a linear layer only). Initial
 * weights are seeded normals with variance 1 / fan-in.
 */
export async function trainSquareMlpHead(
  features: HeadFeatures,
  labels: ArrayLike<number>,
  classes: number,
  options: SquareMlpTrainOptions,
): Promise<HeadTrainResult<SquareMlpHead>> {
  const started = performance.now();
  const data = prepare(features, labels, classes);
  const resolved = resolve(options, data.count, 0.01);
  const hiddenUnits = options.hiddenUnits ?? 32;
  if (!Number.isSafeInteger(hiddenUnits) || hiddenUnits < 1) throw invalid('hiddenUnits must be a positive integer');
  if (Math.max(data.dimension, hiddenUnits, classes) > MAX_CKKS_WIDTH) {
    throw invalid(`features, hidden units and classes must each be at most ${MAX_CKKS_WIDTH} for a CKKS head`);
  }
  const d = data.dimension;
  const w1 = variable(() => tf.randomNormal([d, hiddenUnits], 0, 1 / Math.sqrt(d), 'float32', resolved.seed));
  const b1 = variable(() => tf.zeros([hiddenUnits]));
  const w2 = variable(() =>
    tf.randomNormal([hiddenUnits, classes], 0, 1 / Math.sqrt(hiddenUnits), 'float32', resolved.seed + 1),
  );
  const b2 = variable(() => tf.zeros([classes]));
  try {
    const fitted = await fit(data, resolved, options.signal, [w1, b1, w2, b2], [w1, w2], (x) =>
      tf.add(tf.matMul(tf.square(tf.add(tf.matMul(x, w1), b1)), w2), b2),
    );
    const head: SquareMlpHead = {
      kind: 'square-mlp',
      extractorId: options.extractorId,
      classes,
      dimension: d,
      inputs: d,
      hidden: { rows: hiddenUnits, cols: d, weights: transposed(w1), bias: (b1.dataSync() as Float32Array).slice() },
      output: {
        rows: classes,
        cols: hiddenUnits,
        weights: transposed(w2),
        bias: (b2.dataSync() as Float32Array).slice(),
      },
    };
    return result(head, data, resolved, fitted, started);
  } finally {
    for (const v of [w1, b1, w2, b2]) v.dispose();
  }
}
