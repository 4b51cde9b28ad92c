import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import type { MultiLabelDataset } from '../dataset/dataset.builder.js';
import { loadMnist, MNIST_SCHEMA } from '../readers/mnist.loader.js';
import { evaluate } from './model.evaluator.js';
import { createModel, defaultModelSpec } from './model.factory.js';
import { trainModel, type TrainProgress } from './model.trainer.js';

describe('trainModel', () => {
  beforeAll(async () => {
    expect((await initTensorflow({ prefer: 'wasm' })).name).toBe('wasm');
  });

  it('trains an MNIST MLP (784-128-10) on 2,000 images to > 85% on 1,000 held-out test images', async () => {
    const train = await loadMnist({ split: 'train', offset: 0, count: 2_000 });
    const test = await loadMnist({ split: 'test', offset: 9_000, count: 1_000 });
    const tensorsBefore = tf.memory().numTensors;
    const model = createModel({ ...defaultModelSpec(MNIST_SCHEMA, 'mlp'), seed: 1 });
    const progress: TrainProgress[] = [];
    const result = await trainModel(model, train, {
      epochs: 3,
      batchSize: 32,
      learningRate: 0.002,
      seed: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(progress).toHaveLength(3 * 63);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: 3, batch: 1, batches: 63 });
    expect(progress.at(-1)).toMatchObject({ epoch: 3, batch: 63 });
    expect(progress.every((p) => Number.isFinite(p.loss) && p.accuracy >= 0 && p.accuracy <= 1)).toBe(true);
    expect(result.loss).toBeLessThan(progress[0].loss);
    expect(evaluate(model, test)).toBeGreaterThan(0.85);
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('trains the default CNN with random-shift augmentation on WASM (which needs the gradient kernels)', async () => {
    const train = await loadMnist({ split: 'train', offset: 2_000, count: 600 });
    const test = await loadMnist({ split: 'test', offset: 9_000, count: 500 });
    const model = createModel({ ...defaultModelSpec(MNIST_SCHEMA), seed: 2 });
    await trainModel(model, train, { epochs: 2, batchSize: 32, learningRate: 0.002, augment: 'random-shift', seed: 2 });
    expect(evaluate(model, test)).toBeGreaterThan(0.7);
    model.dispose();
  });

  it('is reproducible from its seeds', async () => {
    const data = await loadMnist({ split: 'train', offset: 3_000, count: 64 });
    const weightsAfter = async (trainSeed: number) => {
      const model = createModel({
        architecture: 'mlp',
        inputShape: [28, 28, 1],
        numClasses: 10,
        hiddenUnits: [16],
        seed: 5,
      });
      await trainModel(model, data, { epochs: 2, batchSize: 16, learningRate: 0.01, seed: trainSeed });
      const values = tf.tidy(() => model.getWeights().map((w) => Array.from(w.dataSync())));
      model.dispose();
      return values;
    };
    const first = await weightsAfter(9);
    expect(await weightsAfter(9)).toEqual(first);
    expect(await weightsAfter(10)).not.toEqual(first);
  });

  it('trains a multi-label head with binary cross-entropy', async () => {
    // Class c is positive when feature c > 0.5: learnable by a small MLP.
    const count = 512;
    const features = tf.tidy(() => tf.randomUniform([count * 3], 0, 1, 'float32', 4).dataSync() as Float32Array);
    const labels = Uint8Array.from(features, (v) => (v > 0.5 ? 1 : 0));
    const data: MultiLabelDataset = { features, featureShape: [3], count, multiLabel: true, numClasses: 3, labels };
    const model = createModel({
      architecture: 'mlp',
      inputShape: [3],
      numClasses: 3,
      multiLabel: true,
      hiddenUnits: [16],
      seed: 3,
    });
    await trainModel(model, data, { epochs: 15, batchSize: 32, learningRate: 0.02, seed: 3 });
    expect(evaluate(model, data)).toBeGreaterThan(0.9);
    model.dispose();
  });

  it('stops between batches when its signal is aborted', async () => {
    const data = await loadMnist({ split: 'train', offset: 0, count: 64 });
    const model = createModel({
      architecture: 'mlp',
      inputShape: [28, 28, 1],
      numClasses: 10,
      hiddenUnits: [8],
      seed: 1,
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const training = trainModel(model, data, {
      epochs: 5,
      batchSize: 8,
      learningRate: 0.01,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.batch);
        if (seen.length === 3) controller.abort(new Error('discarded'));
      },
    });
    await expect(training).rejects.toThrow('discarded');
    expect(seen).toHaveLength(3);
    model.dispose();
  });

  it('refuses options and data that do not fit the model', async () => {
    const data = await loadMnist({ split: 'train', offset: 0, count: 8 });
    const model = createModel({ architecture: 'mlp', inputShape: [4], numClasses: 10, hiddenUnits: [2], seed: 1 });
    const ok = { epochs: 1, batchSize: 4, learningRate: 0.01 };
    await expect(trainModel(model, data, ok)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const mnistModel = createModel({ ...defaultModelSpec(MNIST_SCHEMA, 'mlp'), seed: 1 });
    await expect(trainModel(mnistModel, data, { ...ok, epochs: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(trainModel(mnistModel, data, { ...ok, learningRate: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(trainModel(mnistModel, { ...data, numClasses: 5 }, ok)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const tabular = { ...data, featureShape: [784] };
    await expect(trainModel(mnistModel, tabular, { ...ok, augment: 'random-shift' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    model.dispose();
    mnistModel.dispose();
  });
});
