import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './tensorflow.backend.js';

describe('initTensorflow', () => {
  it('falls back from the absent tfjs-node to WASM, with the training kernels, chosen and logged once', async () => {
    const logs: { object: object; message?: string }[] = [];
    const logger = {
      info: (object: object, message?: string) => logs.push({ object, message }),
      warn: () => undefined,
    };
    const backend = await initTensorflow({ logger });
    expect(backend.name).toBe('wasm');
    expect(backend.skipped.map((s) => s.name)).toEqual(['tensorflow']);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // Later calls return the first choice and do not log again.
    expect(await initTensorflow({ logger, prefer: 'cpu' })).toBe(backend);
    expect(tf.getBackend()).toBe('wasm');
    expect(logs).toEqual([
      { object: { backend: 'wasm', skipped: backend.skipped }, message: 'TensorFlow.js backend: wasm' },
    ]);
  });
});
