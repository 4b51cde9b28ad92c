import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import { createModel } from '../models/model.factory.js';
import { modelContentHash } from '../models/model.serializer.js';
import { MNIST_SCHEMA } from '../readers/mnist.loader.js';
import { buildModelCard } from './model-card.js';
import { exportStudent, loadExportedStudent } from './student.exporter.js';
import { studentModelSpec } from './student.model.js';

describe('exportStudent', () => {
  let dir: string;

  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
    dir = await mkdtemp(join(tmpdir(), 'student-export-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes model.json, weights.bin and model-card.json that load back to the same predictions', async () => {
    const spec = { ...studentModelSpec(MNIST_SCHEMA, 10), seed: 3 };
    const model = createModel(spec);
    const card = buildModelCard({
      student: {
        model,
        spec,
        method: 'supervised',
        epochs: 1,
        steps: 1,
        seconds: 1,
        seed: 3,
        labeledCount: 10,
        unlabeledCount: 0,
      },
      backend: tf.getBackend(),
      evaluation: { accuracy: 0.5, records: 4 },
      privacy: { epsilon: 1, delta: 1e-5, conversion: 'improved', epsilonKind: 'data-independent' },
    });
    const target = join(dir, 'nested', 'student');
    const exported = await exportStudent(model, card, target);

    expect((await readdir(target)).sort()).toEqual(['model-card.json', 'model.json', 'weights.bin']);
    expect(exported.files.map((f) => f.slice(target.length + 1)).sort()).toEqual([
      'model-card.json',
      'model.json',
      'weights.bin',
    ]);
    const written = JSON.parse(await readFile(join(target, 'model-card.json'), 'utf8'));
    expect(written.model.contentHash).toBe(exported.contentHash);
    expect(exported.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const modelJson = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    const { weightsManifest, ...topology } = modelJson;
    const weights = await readFile(join(target, 'weights.bin'));
    expect(modelContentHash({ ...topology, weightSpecs: weightsManifest[0].weights }, weights)).toBe(
      exported.contentHash,
    );

    // Through tf.loadLayersModel with an IO handler reading the files, and through loadExportedStudent.
    const viaTf = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: weightsManifest[0].weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    const loaded = await loadExportedStudent(target);
    expect(loaded.card).toEqual(written);
    const x = tf.randomUniform([5, 28, 28, 1], 0, 1, 'float32', 11);
    const expected = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    for (const copy of [viaTf, loaded.model]) {
      expect(tf.tidy(() => Array.from((copy.predict(x) as tf.Tensor).dataSync()))).toEqual(expected);
      copy.dispose();
    }
    x.dispose();

    // A substituted weights file no longer matches the card's hash.
    const tampered = new Uint8Array(weights);
    tampered[0] ^= 1;
    await writeFile(join(target, 'weights.bin'), tampered);
    await expect(loadExportedStudent(target)).rejects.toMatchObject({ code: 'INTERNAL' });
    model.dispose();
  });
});
