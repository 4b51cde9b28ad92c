import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import { loadMnist } from '../readers/mnist.loader.js';
import { capcHeadContentHash, decodeCapcHead, encodeCapcHead } from './capc-head.codec.js';
import { capcHeadAccuracy, linearHeadLogits, squareMlpLogits } from './capc-head.inference.js';
import { trainLinearHead, trainSquareMlpHead } from './capc-head.trainer.js';
import type { LinearHead, SquareMlpHead } from './capc-head.types.js';
import { publicFeatureExtractor } from './public-feature.extractor.js';

const extractor = publicFeatureExtractor('mnist');
const extractorId = extractor.id;

async function mnistFeatures(split: 'train' | 'test', offset: number, count: number) {
  const data = await loadMnist({ split, offset, count });
  const matrix = extractor.extractMatrix(data.features, data.count);
  const rows = Array.from({ length: count }, (_, i) => matrix.subarray(i * 64, (i + 1) * 64));
  return { matrix, rows, labels: data.labels, count };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('CaPC heads on the public MNIST extractor', () => {
  let test: Awaited<ReturnType<typeof mnistFeatures>>;

  beforeAll(async () => {
    expect((await initTensorflow({ prefer: 'wasm' })).name).toBe('wasm');
    test = await mnistFeatures('test', 0, 10_000);
  });

  it('a linear head on 240 images (a PATE partition) reaches ~79% on the 10,000 test images', async () => {
    const train = await mnistFeatures('train', 0, 240);
    const tensors = tf.memory().numTensors;
    const { head, accuracy, epochs, steps } = await trainLinearHead(train.rows, train.labels, 10, { extractorId });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(head).toMatchObject({ kind: 'linear', extractorId, classes: 10, dimension: 64 });
    expect(head.weights).toHaveLength(640);
    expect(head.bias).toHaveLength(10);
    expect({ epochs, steps }).toEqual({ epochs: 50, steps: 200 });
    expect(accuracy).toBeGreaterThan(0.9);
    expect(capcHeadAccuracy(head, test.rows, test.labels)).toBeGreaterThan(0.74); // measured 0.77-0.80
  });

  it('a linear head on 6,000 images reaches 90% on the 10,000 test images', async () => {
    const train = await mnistFeatures('train', 10_000, 6_000);
    const { head } = await trainLinearHead({ matrix: train.matrix, count: train.count }, train.labels, 10, {
      extractorId,
    });
    expect(capcHeadAccuracy(head, test.rows, test.labels)).toBeGreaterThan(0.885); // measured 0.899-0.903
  });

  it('a square-activation MLP head on 240 images: CkksMlp layout, ~79% on the test images', async () => {
    const train = await mnistFeatures('train', 240, 240);
    const tensors = tf.memory().numTensors;
    const { head } = await trainSquareMlpHead(train.rows, train.labels, 10, { extractorId, hiddenUnits: 32 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(head).toMatchObject({ kind: 'square-mlp', classes: 10, dimension: 64, inputs: 64 });
    expect(head.hidden).toMatchObject({ rows: 32, cols: 64 });
    expect(head.output).toMatchObject({ rows: 10, cols: 32 });
    expect(capcHeadAccuracy(head, test.rows, test.labels)).toBeGreaterThan(0.72); // measured 0.78-0.81
    // The plaintext reference agrees with tf's forward pass (W x layout = tf's x W transposed).
    const x = test.rows[0];
    const viaTf = tf.tidy(() => {
      const w1 = tf.tensor2d(head.hidden.weights, [32, 64]).transpose();
      const w2 = tf.tensor2d(head.output.weights, [10, 32]).transpose();
      const h = tf.tensor2d(x, [1, 64]).matMul(w1).add(tf.tensor1d(head.hidden.bias)).square();
      return h.matMul(w2).add(tf.tensor1d(head.output.bias)).dataSync();
    });
    squareMlpLogits(head, x).forEach((v, i) => expect(v).toBeCloseTo(viaTf[i], 3));
  });

  it('is reproducible: same data and seed, same weights and content hash', async () => {
    const train = await mnistFeatures('train', 500, 64);
    const once = await trainLinearHead(train.rows, train.labels, 10, { extractorId, epochs: 3, seed: 7 });
    const twice = await trainLinearHead(train.rows, train.labels, 10, { extractorId, epochs: 3, seed: 7 });
    expect(twice.head.weights).toEqual(once.head.weights);
    expect(capcHeadContentHash(twice.head)).toBe(capcHeadContentHash(once.head));
    const mlp1 = await trainSquareMlpHead(train.rows, train.labels, 10, { extractorId, epochs: 2, hiddenUnits: 8 });
    const mlp2 = await trainSquareMlpHead(train.rows, train.labels, 10, { extractorId, epochs: 2, hiddenUnits: 8 });
    expect(capcHeadContentHash(mlp2.head)).toBe(capcHeadContentHash(mlp1.head));
  });

  it('refuses bad input with VALIDATION_FAILED', async () => {
    const rows = [new Float32Array(64), new Float32Array(64)];
    expect(await failure(trainLinearHead(rows, [0, 10], 10, { extractorId }))).toBe('VALIDATION_FAILED');
    expect(await failure(trainLinearHead(rows, [0], 10, { extractorId }))).toBe('VALIDATION_FAILED');
    expect(await failure(trainLinearHead([], [], 10, { extractorId }))).toBe('VALIDATION_FAILED');
    expect(await failure(trainLinearHead(rows, [0, 1], 10, { extractorId: '' }))).toBe('VALIDATION_FAILED');
    expect(await failure(trainSquareMlpHead(rows, [0, 1], 10, { extractorId, hiddenUnits: 257 }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('CaPC head codec', () => {
  const linear: LinearHead = {
    kind: 'linear',
    extractorId: 'tabular-clip8-v1/3',
    classes: 2,
    dimension: 3,
    weights: Float32Array.of(1, -2, 3.5, 0.25, 0, -1e-3),
    bias: Float32Array.of(0.5, -0.5),
  };
  const mlp: SquareMlpHead = {
    kind: 'square-mlp',
    extractorId: 'tabular-clip8-v1/3',
    classes: 2,
    dimension: 3,
    inputs: 3,
    hidden: { rows: 2, cols: 3, weights: Float32Array.of(1, 2, 3, 4, 5, 6), bias: Float32Array.of(0, 1) },
    output: { rows: 2, cols: 2, weights: Float32Array.of(1, -1, 2, -2), bias: Float32Array.of(3, 4) },
  };

  it('round-trips both kinds through canonical bytes and a SHA-256 content hash', () => {
    for (const head of [linear, mlp]) {
      const encoded = encodeCapcHead(head);
      expect(encoded.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(decodeCapcHead(encoded)).toEqual(head);
    }
    expect(encodeCapcHead(linear).parameters).toHaveLength(4 * 8);
    const logits = linearHeadLogits(linear, [1, 1, 1]);
    expect(logits[0]).toBe(3);
    expect(logits[1]).toBeCloseTo(0.25 - 0.001 - 0.5, 6);
  });

  it('refuses stored bytes that do not match the hash, and hashes the descriptor too', () => {
    const encoded = encodeCapcHead(linear);
    const tampered = Buffer.from(encoded.parameters);
    tampered[0] ^= 1;
    expect(() => decodeCapcHead({ ...encoded, parameters: tampered })).toThrow(DomainError);
    expect(() => decodeCapcHead({ ...encoded, descriptor: { ...encoded.descriptor, extractorId: 'other' } })).toThrow(
      DomainError,
    );
    expect(capcHeadContentHash({ ...linear, extractorId: 'mnist-area8-v1' })).not.toBe(encoded.contentHash);
  });
});
