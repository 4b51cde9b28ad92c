import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as tf from '@tensorflow/tfjs';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import { createModel, type ModelSpec } from '../models/model.factory.js';
import { buildModelCard, roundEpsilonUp, type ModelCardInput } from './model-card.js';

const SPEC: ModelSpec = { architecture: 'mlp', inputShape: [4], numClasses: 3, hiddenUnits: [5], seed: 1 };

describe('buildModelCard', () => {
  let model: tf.LayersModel;
  let input: ModelCardInput;

  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
    model = createModel(SPEC);
    input = {
      student: {
        model,
        spec: SPEC,
        method: 'fixmatch',
        epochs: 3,
        steps: 30,
        seconds: 12.345,
        seed: 9,
        labeledCount: 286,
        unlabeledCount: 8_714,
      },
      backend: 'wasm',
      evaluation: { accuracy: 0.985, records: 1_000, datasetId: 'mnist-test-tail' },
      pool: { datasetId: 'mnist-test-head' },
      labeling: { jobId: 'job-1', mechanism: 'confident-gnmax', queriesAsked: 640, queriesAnswered: 286 },
      privacy: { epsilon: 1.23456001, delta: 1e-5, conversion: 'improved', epsilonKind: 'data-independent' },
      createdAt: new Date('2026-01-02T03:04:05Z'),
    };
  });

  afterAll(() => {
    model.dispose();
  });

  it('describes model, data, labeling, privacy, training and evaluation as plain JSON', () => {
    const card = buildModelCard(input);
    expect(card).toMatchObject({
      schemaVersion: 1,
      model: { architecture: 'mlp', inputShape: [4], numClasses: 3, parameters: 4 * 5 + 5 + 5 * 3 + 3 },
      data: {
        poolDatasetId: 'mnist-test-head',
        poolRecords: 9_000,
        labeledRecords: 286,
        unlabeledRecords: 8_714,
        evaluationDatasetId: 'mnist-test-tail',
        evaluationRecords: 1_000,
      },
      labeling: { jobId: 'job-1', mechanism: 'confident-gnmax', queriesAsked: 640, queriesAnswered: 286 },
      training: { method: 'fixmatch', epochs: 3, steps: 30, seconds: 12.3, seed: 9, backend: 'wasm' },
      evaluation: { accuracy: 0.985, records: 1_000 },
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    expect(card.model).toMatchObject({ contentHash: '', format: 'tfjs-layers' });
    expect(card.intendedUse.length).toBeGreaterThan(0);
    expect(card.limitations).toContain('1000 held-out records');
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });

  it('rounds ε up, never down, and marks only a data-independent ε publishable', () => {
    const independent = buildModelCard(input);
    expect(independent.privacy).toEqual({
      epsilon: 1.2346,
      delta: 1e-5,
      conversion: 'improved',
      epsilonKind: 'data-independent',
      publishable: true,
    });
    const dependent = buildModelCard({
      ...input,
      privacy: {
        epsilon: 0.14,
        delta: 1e-5,
        conversion: 'improved',
        epsilonKind: 'data-dependent',
        epsilonDataIndependent: 2.00000001,
      },
    });
    expect(dependent.privacy).toMatchObject({ epsilon: 0.14, publishable: false, epsilonDataIndependent: 2.0001 });
    for (const epsilon of [0, 0.1, 0.14, 0.29, 0.30000000000000004, 1e-9, 7.77777, 123.45678]) {
      const rounded = roundEpsilonUp(epsilon);
      expect(rounded).toBeGreaterThanOrEqual(epsilon);
      expect(rounded - epsilon).toBeLessThan(1e-4);
      expect(Math.round(rounded * 1e4) / 1e4).toBe(rounded);
      if (Math.round(epsilon * 1e4) / 1e4 === epsilon) expect(rounded).toBe(epsilon);
    }
  });

  it.each([
    ['infinite ε', { epsilon: Infinity }],
    ['negative ε', { epsilon: -1 }],
    ['NaN ε', { epsilon: Number.NaN }],
    ['δ of 1', { delta: 1 }],
    ['unknown ε kind', { epsilonKind: 'guessed' }],
  ])('rejects %s with VALIDATION_FAILED', (_, privacy) => {
    expect(() =>
      buildModelCard({ ...input, privacy: { ...input.privacy, ...privacy } as ModelCardInput['privacy'] }),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
