import * as tf from '@tensorflow/tfjs';
import type { LabeledDataset } from '../dataset/dataset.builder.js';
import { recordSize } from '../dataset/dataset.builder.js';

export interface EvaluateOptions {
  /** Records per predict call (bounds memory). Default 512. */
  batchSize?: number;
  /** Multi-label decision threshold. Default 0.5. */
  threshold?: number;
}

/**
 * Accuracy of `model` on labeled data: the fraction of records whose arg-max class is the label, or, for
 * multi-label data, the fraction of (record, class) decisions that are right at the threshold.
 */
export function evaluate(model: tf.LayersModel, data: LabeledDataset, options: EvaluateOptions = {}): number {
  const batchSize = options.batchSize ?? 512;
  const threshold = options.threshold ?? 0.5;
  const size = recordSize(data.featureShape);
  const k = data.numClasses;
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const out = tf.tidy(() => {
      const xs = tf.tensor(data.features.subarray(start * size, (start + n) * size), [n, ...data.featureShape]);
      const probabilities = model.predict(xs, { batchSize: n }) as tf.Tensor2D;
      return (data.multiLabel ? probabilities : probabilities.argMax(1)).dataSync();
    });
    if (data.multiLabel) {
      for (let i = 0; i < n * k; i++) if ((out[i] >= threshold ? 1 : 0) === data.labels[start * k + i]) correct += 1;
    } else {
      for (let i = 0; i < n; i++) if (out[i] === data.labels[start + i]) correct += 1;
    }
  }
  const total = data.multiLabel ? data.count * k : data.count;
  return total === 0 ? 0 : correct / total;
}
