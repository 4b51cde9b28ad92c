import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import type { SingleLabelDataset } from '../dataset/dataset.builder.js';
import { createModel } from '../models/model.factory.js';
import { deserializeModel, serializeModel } from '../models/model.serializer.js';
import { trainModel } from '../models/model.trainer.js';
import { predictVotes, predictVotesAsync, votesOfQuery } from './ensemble.inference.js';
import { predictProbabilities } from './probabilities.predictor.js';
import { histogramOf, voteHistogram } from './vote.histogram.js';

function tinyModels(count: number, spec: Partial<Parameters<typeof createModel>[0]> = {}): tf.LayersModel[] {
  return Array.from({ length: count }, (_, i) =>
    createModel({
      architecture: 'mlp',
      inputShape: [6],
      numClasses: 4,
      hiddenUnits: [8],
      seed: 100 + i,
      ...spec,
    } as Parameters<typeof createModel>[0]),
  );
}

function disposeAll(models: tf.LayersModel[]): void {
  for (const m of models) m.dispose();
}

function queries(count: number, size = 6, seed = 1): Float32Array[] {
  const flat = tf.tidy(() => tf.randomUniform([count * size], -1, 1, 'float32', seed).dataSync() as Float32Array);
  return Array.from({ length: count }, (_, q) => flat.slice(q * size, (q + 1) * size));
}

describe('predictVotes', () => {
  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
  });

  it("returns each model's arg-max class for each query, query-major, in one or several chunks", () => {
    const models = tinyModels(5);
    const qs = queries(23);
    const votes = predictVotes(models, qs);
    expect(votes).toMatchObject({ kind: 'class', numQueries: 23, numModels: 5, numClasses: 4 });
    const expected = models.map((m) =>
      tf.tidy(() => (m.predict(tf.tensor2d(qs.map((q) => Array.from(q)))) as tf.Tensor).argMax(1).dataSync()),
    );
    for (let q = 0; q < 23; q++) {
      expect(Array.from(votesOfQuery(votes, q))).toEqual(expected.map((e) => e[q]));
    }
    expect(predictVotes(models, qs, { batchSize: 4 })).toEqual(votes);
    const matrix = { features: Float32Array.from(qs.flatMap((q) => Array.from(q))), featureShape: [6], count: 23 };
    expect(predictVotes(models, matrix)).toEqual(votes);
    disposeAll(models);
  });

  it('has an async variant that gives the same votes and lets the event loop run between models', async () => {
    const models = tinyModels(4);
    const qs = queries(9);
    const log: string[] = [];
    for (const m of models) {
      const apply = m.apply.bind(m);
      m.apply = (x, args) => {
        log.push('model');
        return apply(x, args);
      };
    }
    let running = true;
    const tick = () => {
      log.push('tick');
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const votes = await predictVotesAsync(models, qs);
    running = false;
    expect(log.filter((e, i) => e === 'model' && log[i + 1] === 'tick')).toHaveLength(4);
    expect(votes).toEqual(predictVotes(models, qs));
    const before = tf.memory().numTensors;
    await expect(predictVotesAsync(models, queries(2, 5))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(models);
  });

  it('agrees with predictProbabilities, which returns the outputs themselves', () => {
    const models = tinyModels(2);
    const qs = queries(7);
    const matrix = { features: Float32Array.from(qs.flatMap((q) => Array.from(q))), featureShape: [6], count: 7 };
    const probabilities = predictProbabilities(models[1], matrix, 3);
    expect(probabilities).toHaveLength(28);
    const votes = predictVotes(models, matrix);
    for (let q = 0; q < 7; q++) {
      const row = Array.from(probabilities.subarray(q * 4, q * 4 + 4));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(votesOfQuery(votes, q)[1]).toBe(row.indexOf(Math.max(...row)));
    }
    disposeAll(models);
  });

  it('returns multi-hot votes for multi-label models, thresholded', () => {
    const models = tinyModels(3, { multiLabel: true });
    const qs = queries(4);
    const votes = predictVotes(models, qs, { multiLabel: true, threshold: 0.5 });
    expect(votes).toMatchObject({ kind: 'multi-label', numQueries: 4, numModels: 3, numClasses: 4 });
    const probabilities = tf.tidy(() => (models[1].predict(tf.tensor2d([Array.from(qs[2])])) as tf.Tensor).dataSync());
    expect(Array.from(votesOfQuery(votes, 2).subarray(4, 8))).toEqual(
      Array.from(probabilities, (p) => (p >= 0.5 ? 1 : 0)),
    );
    expect(predictVotes(models, qs, { multiLabel: true, threshold: 0 }).votes.every((v) => v === 1)).toBe(true);
    disposeAll(models);
  });

  it('refuses no models, models of different shapes and queries of the wrong size', () => {
    const models = tinyModels(2);
    expect(() => predictVotes([], queries(1))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    const other = tinyModels(1, { numClasses: 3 });
    expect(() => predictVotes([...models, ...other], queries(1))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => predictVotes(models, queries(2, 5))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: 'row 1: expected 6 features, found 5' }),
    );
    disposeAll([...models, ...other]);
  });

  it('leaves no tensor behind (50 models x 100 queries)', () => {
    const models = tinyModels(50);
    const qs = queries(100);
    predictVotes(models, qs); // warm-up: first calls may allocate lazily
    const before = tf.memory();
    predictVotes(models, qs, { batchSize: 32 });
    predictVotes(tinyModels(0).concat(models), qs, { multiLabel: true });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    disposeAll(models);
  });

  it('leaks nothing across the life of 250 teachers (create, train, serialize, restore, vote, dispose)', async () => {
    const data: SingleLabelDataset = {
      features: Float32Array.from(queries(32).flatMap((q) => Array.from(q))),
      featureShape: [6],
      count: 32,
      multiLabel: false,
      numClasses: 4,
      labels: Int32Array.from({ length: 32 }, (_, i) => i % 4),
    };
    const baseline = tf.memory().numTensors;
    const stored = [];
    for (let t = 0; t < 250; t++) {
      const model = createModel({ architecture: 'mlp', inputShape: [6], numClasses: 4, hiddenUnits: [4], seed: t });
      await trainModel(model, data, { epochs: 1, batchSize: 16, learningRate: 0.01, seed: t });
      stored.push(await serializeModel(model));
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    const teachers = await Promise.all(stored.map((s) => deserializeModel(s)));
    const votes = predictVotes(teachers, queries(10));
    expect(voteHistogram(votes).every((h) => h.reduce((a, b) => a + b, 0) === 250)).toBe(true);
    disposeAll(teachers);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('voteHistogram', () => {
  it('counts class votes per query', () => {
    const votes = {
      kind: 'class' as const,
      numQueries: 2,
      numModels: 4,
      numClasses: 3,
      votes: Int32Array.from([0, 2, 2, 1, 1, 1, 1, 1]),
    };
    expect(voteHistogram(votes).map((h) => Array.from(h))).toEqual([
      [1, 1, 2],
      [0, 4, 0],
    ]);
  });

  it('counts positive votes per class for multi-label votes', () => {
    // 1 query, 2 models, 3 classes.
    const votes = {
      kind: 'multi-label' as const,
      numQueries: 1,
      numModels: 2,
      numClasses: 3,
      votes: Uint8Array.from([1, 0, 1, 1, 1, 0]),
    };
    expect(Array.from(voteHistogram(votes)[0])).toEqual([2, 1, 1]);
  });

  it('refuses votes outside the classes', () => {
    expect(() => histogramOf([0, 3], 3)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
