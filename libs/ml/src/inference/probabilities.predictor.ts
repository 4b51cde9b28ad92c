import * as tf from '@tensorflow/tfjs';
import { recordSize, type FeatureMatrix } from '../dataset/dataset.builder.js';

/**
 * The model's output for every record, `count x numClasses` row-major (softmax probabilities, or per-class
 * sigmoids for multi-label models), e.g. for the student's pseudo-labels or confidence thresholds.
 */
export function predictProbabilities(model: tf.LayersModel, data: FeatureMatrix, batchSize = 512): Float32Array {
  const size = recordSize(data.featureShape);
  const numClasses = model.outputs[0].shape[1] as number;
  const out = new Float32Array(data.count * numClasses);
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const values = tf.tidy(() => {
      const xs = tf.tensor(data.features.subarray(start * size, (start + n) * size), [n, ...data.featureShape]);
      return (model.predict(xs, { batchSize: n }) as tf.Tensor).dataSync();
    });
    out.set(values, start * numClasses);
  }
  return out;
}
