import { randomInt } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { recordSize, type LabeledDataset } from '../dataset/dataset.builder.js';
import { shiftImageInto } from './random-shift.augmentation.js';

export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  /** Of this batch. */
  loss: number;
  accuracy: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Images only: shift each training image by up to `maxShift` pixels in each direction. */
  augment?: 'random-shift';
  /** Default 2. */
  maxShift?: number;
  /** Seeds the shuffling and augmentation (tf's seeded RNG; not privacy-relevant). Default: random. */
  seed?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Checked between batches: an aborted signal stops training with the signal's reason (e.g. on discard). */
  signal?: AbortSignal;
}

export interface TrainResult {
  epochs: number;
  steps: number;
  /** Mean over the last epoch's batches (on the training data, augmented). */
  loss: number;
  accuracy: number;
  seconds: number;
  seed: number;
}

function checkOptions(options: TrainOptions, data: LabeledDataset, model: tf.LayersModel): void {
  const positiveInteger = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!positiveInteger(options.epochs)) throw new DomainError('VALIDATION_FAILED', 'epochs must be a positive integer');
  if (!positiveInteger(options.batchSize))
    throw new DomainError('VALIDATION_FAILED', 'batchSize must be a positive integer');
  if (!(options.learningRate > 0 && Number.isFinite(options.learningRate))) {
    throw new DomainError('VALIDATION_FAILED', 'learningRate must be a positive number');
  }
  if (data.count === 0) throw new DomainError('VALIDATION_FAILED', 'no training records');
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  if (recordSize(inputShape) !== recordSize(data.featureShape)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `records have shape [${data.featureShape}], the model expects [${inputShape}]`,
    );
  }
  const outputs = model.outputs[0].shape[1];
  if (outputs !== data.numClasses)
    throw new DomainError('VALIDATION_FAILED', `the model has ${outputs} outputs for ${data.numClasses} classes`);
  if (options.augment === 'random-shift' && data.featureShape.length !== 3) {
    throw new DomainError('VALIDATION_FAILED', 'random-shift augmentation needs image data');
  }
}

/** `n` uniform numbers in [0, 1) from tf's seeded generator. */
function seededUniform(n: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([n], 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** A permutation of 0..n-1 (sorting seeded uniform keys). */
function seededPermutation(n: number, seed: number): Int32Array {
  const keys = seededUniform(n, seed);
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
}

function lossAndAccuracy(
  multiLabel: boolean,
  ys: tf.Tensor2D,
  out: tf.Tensor2D,
): { loss: tf.Scalar; accuracy: tf.Scalar } {
  if (multiLabel) {
    return {
      loss: tf.metrics.binaryCrossentropy(ys, out).mean(),
      accuracy: tf.metrics.binaryAccuracy(ys, out).mean(),
    };
  }
  return {
    loss: tf.metrics.categoricalCrossentropy(ys, out).mean(),
    accuracy: tf.metrics.categoricalAccuracy(ys, out).mean(),
  };
}

/**
 * Trains `model` with Adam on mini-batches, shuffled every epoch (seeded), optionally with random-shift
 * augmentation. Loss: categorical cross-entropy (softmax head) or binary cross-entropy (multi-label sigmoid
 * head). Every tensor it makes is disposed; the optimizer's state is freed at the end. Yields to the event
 * loop between batches, so a service stays responsive while it trains.
 */
export async function trainModel(
  model: tf.LayersModel,
  data: LabeledDataset,
  options: TrainOptions,
): Promise<TrainResult> {
  checkOptions(options, data, model);
  const started = performance.now();
  const seed = options.seed ?? randomInt(0, 2 ** 31 - 1);
  const size = recordSize(data.featureShape);
  const k = data.numClasses;
  const batches = Math.ceil(data.count / options.batchSize);
  const maxShift = options.maxShift ?? 2;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(options.learningRate);
  const batchX = new Float32Array(options.batchSize * size);
  const batchY = new Float32Array(options.batchSize * k);
  let steps = 0;
  let epochLoss = 0;
  let epochAccuracy = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const epochSeed = (seed + epoch * 7919) % 2 ** 31;
      const order = seededPermutation(data.count, epochSeed);
      const shifts = options.augment === 'random-shift' ? seededUniform(2 * data.count, epochSeed + 1) : undefined;
      epochLoss = 0;
      epochAccuracy = 0;
      for (let b = 0; b < batches; b++) {
        options.signal?.throwIfAborted();
        const start = b * options.batchSize;
        const n = Math.min(options.batchSize, data.count - start);
        batchY.fill(0, 0, n * k);
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          if (shifts) {
            const dy = Math.floor(shifts[2 * (start + i)] * (2 * maxShift + 1)) - maxShift;
            const dx = Math.floor(shifts[2 * (start + i) + 1] * (2 * maxShift + 1)) - maxShift;
            shiftImageInto(data.features, r * size, data.featureShape, dy, dx, batchX, i * size);
          } else {
            batchX.set(data.features.subarray(r * size, (r + 1) * size), i * size);
          }
          if (data.multiLabel) {
            for (let c = 0; c < k; c++) batchY[i * k + c] = data.labels[r * k + c];
          } else {
            batchY[i * k + data.labels[r]] = 1;
          }
        }
        const [loss, accuracy] = tf.tidy(() => {
          const xs = tf.tensor(batchX.subarray(0, n * size), [n, ...data.featureShape]);
          const ys = tf.tensor2d(batchY.subarray(0, n * k), [n, k]);
          let accuracyTensor: tf.Scalar | undefined;
          const lossTensor = optimizer.minimize(
            () => {
              const out = model.apply(xs, { training: true }) as tf.Tensor2D;
              const result = lossAndAccuracy(data.multiLabel, ys, out);
              // Kept: the gradient scope disposes everything f makes except the loss.
              accuracyTensor = tf.keep(result.accuracy);
              return result.loss;
            },
            true,
            variables,
          );
          const values = tf.stack([lossTensor as tf.Scalar, accuracyTensor as tf.Scalar]).dataSync();
          accuracyTensor?.dispose();
          return values;
        });
        steps += 1;
        epochLoss += loss;
        epochAccuracy += accuracy;
        options.onProgress?.({ epoch, epochs: options.epochs, batch: b + 1, batches, loss, accuracy });
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    optimizer.dispose();
  }
  return {
    epochs: options.epochs,
    steps,
    loss: epochLoss / batches,
    accuracy: epochAccuracy / batches,
    seconds: (performance.now() - started) / 1000,
    seed,
  };
}
