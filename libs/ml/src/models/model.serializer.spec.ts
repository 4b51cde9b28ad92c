import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import { createModel } from './model.factory.js';
import { deserializeModel, modelContentHash, serializeModel, toLayersModelFiles } from './model.serializer.js';

describe('model serialization', () => {
  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
  });

  it.each([
    [
      'a CNN',
      {
        architecture: 'cnn',
        inputShape: [12, 12, 1],
        numClasses: 4,
        filters: [4, 6],
        kernelSize: 3,
        denseUnits: 8,
        seed: 1,
      },
    ],
    [
      'an MLP with dropout, multi-label',
      {
        architecture: 'mlp',
        inputShape: [6],
        numClasses: 3,
        multiLabel: true,
        hiddenUnits: [5, 4],
        dropout: 0.2,
        seed: 2,
      },
    ],
  ] as [string, Parameters<typeof createModel>[0]][])(
    'round-trips %s: same predictions, same hash',
    async (_name, spec) => {
      const model = createModel(spec);
      const inputs = tf.randomUniform([5, ...spec.inputShape], 0, 1, 'float32', 3);
      const serialized = await serializeModel(model);
      expect(serialized.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(serialized.weights.length).toBe(model.countParams() * 4);
      // What a database stores: JSON for the topology, bytes for the weights.
      const stored = {
        topology: JSON.parse(JSON.stringify(serialized.topology)),
        weights: Buffer.from(serialized.weights),
        contentHash: serialized.contentHash,
      };
      const restored = await deserializeModel(stored);
      const [before, after] = [model, restored].map((m) => tf.tidy(() => (m.predict(inputs) as tf.Tensor).dataSync()));
      expect(after).toEqual(before);
      expect((await serializeModel(restored)).contentHash).toBe(serialized.contentHash);
      tf.dispose([inputs]);
      model.dispose();
      restored.dispose();
    },
  );

  it('gives different hashes to different weights and to the same weights under another topology', async () => {
    const a = createModel({ architecture: 'mlp', inputShape: [4], numClasses: 2, hiddenUnits: [3], seed: 1 });
    const b = createModel({ architecture: 'mlp', inputShape: [4], numClasses: 2, hiddenUnits: [3], seed: 2 });
    const [sa, sb] = [await serializeModel(a), await serializeModel(b)];
    expect(sa.contentHash).not.toBe(sb.contentHash);
    const renamed = { ...sa.topology, generatedBy: 'someone else' };
    expect(modelContentHash(renamed, sa.weights)).not.toBe(sa.contentHash);
    a.dispose();
    b.dispose();
  });

  it('refuses a model whose content does not match its hash', async () => {
    const model = createModel({ architecture: 'mlp', inputShape: [4], numClasses: 2, hiddenUnits: [3], seed: 1 });
    const serialized = await serializeModel(model);
    const tampered = Buffer.from(serialized.weights);
    tampered[0] ^= 1;
    await expect(deserializeModel({ ...serialized, weights: tampered })).rejects.toMatchObject({ code: 'INTERNAL' });
    model.dispose();
  });

  it('exports the TensorFlow.js layers format (model.json + weights file) that tf.loadLayersModel reads', async () => {
    const model = createModel({ architecture: 'mlp', inputShape: [4], numClasses: 2, hiddenUnits: [3], seed: 1 });
    const files = toLayersModelFiles(await serializeModel(model));
    const json = JSON.parse(files['model.json']) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    };
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const weights = files['weights.bin'] as Buffer;
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    expect(loaded.countParams()).toBe(model.countParams());
    model.dispose();
    loaded.dispose();
  });
});
