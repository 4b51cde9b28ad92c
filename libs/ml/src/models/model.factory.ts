import type * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { featureShape, type RecordSchema } from '../schema/record.schema.js';
import { createCnn } from './cnn.model.js';
import { createMlp } from './mlp.model.js';
import type { TrainOptions } from './model.trainer.js';

export type Architecture = 'mlp' | 'cnn';

/** Everything needed to rebuild a model's architecture (stored with the teacher as its hyperparameters). */
export type ModelSpec =
  | {
      architecture: 'mlp';
      inputShape: number[];
      numClasses: number;
      multiLabel?: boolean;
      hiddenUnits: number[];
      dropout?: number;
      seed?: number;
    }
  | {
      architecture: 'cnn';
      inputShape: [number, number, number];
      numClasses: number;
      multiLabel?: boolean;
      filters: number[];
      kernelSize: number;
      denseUnits: number;
      padding?: 'valid' | 'same';
      dropout?: number;
      seed?: number;
    };

/**
 * Sensible defaults per kind of data: tabular -> MLP (64, 32); images -> the small CNN
 * (conv 5x5x16 -> pool -> conv 5x5x32 -> pool -> dense 128), or with `architecture: 'mlp'` a one-hidden-layer
 * MLP (784-128-10 on MNIST).
 */
export function defaultModelSpec(schema: RecordSchema, architecture?: Architecture): ModelSpec {
  if (!schema.label) throw new DomainError('VALIDATION_FAILED', 'the schema declares no label: nothing to train');
  const { numClasses, multiLabel } = schema.label;
  const head = multiLabel ? { numClasses, multiLabel: true } : { numClasses };
  const chosen = architecture ?? (schema.kind === 'image' ? 'cnn' : 'mlp');
  if (chosen === 'cnn') {
    if (schema.kind !== 'image') throw new DomainError('VALIDATION_FAILED', 'the CNN architecture needs image data');
    return {
      architecture: 'cnn',
      inputShape: featureShape(schema) as [number, number, number],
      ...head,
      filters: [16, 32],
      kernelSize: 5,
      denseUnits: 128,
      padding: 'valid',
    };
  }
  return {
    architecture: 'mlp',
    inputShape: featureShape(schema),
    ...head,
    hiddenUnits: schema.kind === 'image' ? [128] : [64, 32],
  };
}

/** Builds the (uncompiled) model of a spec; train it with trainModel. */
export function createModel(spec: ModelSpec): tf.Sequential {
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 1) {
    throw new DomainError('VALIDATION_FAILED', 'numClasses must be a positive integer');
  }
  if (spec.architecture === 'cnn') {
    if (spec.inputShape.length !== 3)
      throw new DomainError('VALIDATION_FAILED', 'a CNN takes [height, width, channels] inputs');
    if (spec.filters.length === 0) throw new DomainError('VALIDATION_FAILED', 'a CNN needs at least one convolution');
    return createCnn(spec);
  }
  return createMlp(spec);
}

/**
 * Training defaults per architecture, tuned on MNIST teachers of a few hundred images (PATE's 240 per teacher)
 * on the WASM backend.
 */
export function defaultTrainOptions(spec: ModelSpec): Omit<TrainOptions, 'onProgress' | 'seed'> {
  if (spec.architecture === 'cnn') {
    return { epochs: 20, batchSize: 32, learningRate: 0.002, augment: 'random-shift' };
  }
  return { epochs: 20, batchSize: 32, learningRate: 0.002 };
}
