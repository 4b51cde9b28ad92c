import { beforeAll, describe, expect, it } from '@jest/globals';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import type { RecordSchema } from '../schema/record.schema.js';
import { createModel, defaultModelSpec, defaultTrainOptions } from './model.factory.js';

const tabular: RecordSchema = {
  kind: 'tabular',
  features: [
    { name: 'a', type: 'number' },
    { name: 'b', type: 'number' },
  ],
  label: { name: 'y', numClasses: 3, multiLabel: true },
};
const image: RecordSchema = {
  kind: 'image',
  width: 28,
  height: 28,
  channels: 1,
  label: { name: 'digit', numClasses: 10 },
};

describe('model factory', () => {
  beforeAll(async () => {
    await initTensorflow({ prefer: 'wasm' });
  });

  it('defaults to an MLP for tabular data, with a sigmoid head for multi-label', () => {
    const spec = defaultModelSpec(tabular);
    expect(spec).toMatchObject({
      architecture: 'mlp',
      inputShape: [2],
      numClasses: 3,
      multiLabel: true,
      hiddenUnits: [64, 32],
    });
    const model = createModel(spec);
    expect(model.outputs[0].shape).toEqual([null, 3]);
    expect(model.layers.at(-1)?.getConfig().activation).toBe('sigmoid');
    expect(defaultTrainOptions(spec).augment).toBeUndefined();
    model.dispose();
  });

  it('defaults to the small CNN for images, and offers the 784-128-10 MLP', () => {
    const cnn = createModel(defaultModelSpec(image));
    expect(cnn.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dense',
    ]);
    expect(cnn.layers.at(-1)?.getConfig().activation).toBe('softmax');
    expect(defaultTrainOptions(defaultModelSpec(image)).augment).toBe('random-shift');
    const mlp = createModel(defaultModelSpec(image, 'mlp'));
    expect(mlp.countParams()).toBe(784 * 128 + 128 + 128 * 10 + 10);
    cnn.dispose();
    mlp.dispose();
  });

  it('refuses a CNN for tabular data and a schema without a label', () => {
    expect(() => defaultModelSpec(tabular, 'cnn')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => defaultModelSpec({ kind: 'image', width: 2, height: 2, channels: 1 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
