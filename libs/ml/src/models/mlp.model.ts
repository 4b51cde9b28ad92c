import * as tf from '@tensorflow/tfjs';
import { LayerInitializers, outputActivation } from './layer-initializers.model.js';

export interface MlpOptions {
  /** Per-record input shape; images are flattened. */
  inputShape: number[];
  numClasses: number;
  multiLabel?: boolean;
  /** Hidden layer widths (ReLU). */
  hiddenUnits: number[];
  /** Dropout after each hidden layer (0 = none). */
  dropout?: number;
  seed?: number;
}

/** A multi-layer perceptron: [flatten] -> dense(ReLU) x n [-> dropout] -> softmax (or sigmoid per class). */
export function createMlp(options: MlpOptions): tf.Sequential {
  const init = new LayerInitializers(options.seed);
  const model = tf.sequential();
  if (options.inputShape.length > 1) model.add(tf.layers.flatten({ inputShape: options.inputShape }));
  options.hiddenUnits.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: init.relu(),
        ...(i === 0 && options.inputShape.length === 1 ? { inputShape: options.inputShape } : {}),
      }),
    );
    if (options.dropout) model.add(tf.layers.dropout({ rate: options.dropout, seed: init.dropoutSeed() }));
  });
  model.add(
    tf.layers.dense({
      units: options.numClasses,
      activation: outputActivation(options.multiLabel),
      kernelInitializer: init.output(),
      ...(options.hiddenUnits.length === 0 && options.inputShape.length === 1
        ? { inputShape: options.inputShape }
        : {}),
    }),
  );
  return model;
}
