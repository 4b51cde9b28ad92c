import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './tensorflow.backend.js';

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
}

/** Gradients of sum(conv2d(x, w) * r) with respect to x and w, computed on `backend`. */
async function convGradients(
  backend: string,
  c: ConvCase,
  seed: number,
): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomUniform(c.x, -1, 1, 'float32', seed);
    const w = tf.randomUniform(c.filter, -1, 1, 'float32', seed + 1);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
    const r = tf.randomUniform(y.shape, -1, 1, 'float32', seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
        .mul(r)
        .sum(),
    )([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('WASM training kernels', () => {
  beforeAll(async () => {
    // IS_TEST makes the engine check every kernel for leaked data ids (it also silences tfjs's console advice).
    tf.env().set('IS_TEST', true);
    const backend = await initTensorflow({ prefer: 'wasm' });
    expect(backend.name).toBe('wasm');
  });

  const cases: [string, ConvCase][] = [
    ['5x5 same, stride 1 (the CNN first layer)', { x: [4, 28, 28, 1], filter: [5, 5, 1, 8], strides: 1, pad: 'same' }],
    [
      '5x5 valid, stride 1, several input channels',
      { x: [3, 12, 12, 6], filter: [5, 5, 6, 4], strides: 1, pad: 'valid' },
    ],
    ['3x3 same, stride 2', { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' }],
    [
      '3x3 valid, stride 2, input not divisible by the stride',
      { x: [2, 10, 10, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
    ],
    [
      'explicit padding larger than the filter',
      {
        x: [2, 6, 7, 2],
        filter: [2, 3, 2, 3],
        strides: 1,
        pad: [
          [0, 0],
          [3, 1],
          [0, 4],
          [0, 0],
        ],
      },
    ],
  ];

  it.each(cases)('conv2d gradients match the CPU backend: %s', async (_name, c) => {
    const cpu = await convGradients('cpu', c, 11);
    const wasm = await convGradients('wasm', c, 11);
    expect(maxAbsDiff(cpu.dw, wasm.dw)).toBeLessThan(1e-4);
    expect(maxAbsDiff(cpu.dx, wasm.dx)).toBeLessThan(1e-4);
  });

  it.each([
    ['2x2 stride 2 valid (the CNN pools)', [3, 8, 8, 4], 2, 2, 'valid'],
    ['3x3 stride 2 same (overlapping windows, padding)', [2, 7, 9, 3], 3, 2, 'same'],
  ] as [string, [number, number, number, number], number, number, 'valid' | 'same'][])(
    'maxPool gradients match the CPU backend, ties included: %s',
    async (_name, shape, size, stride, pad) => {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          // ReLU output: many windows are all zeros, so the tie rule matters.
          const x = tf.randomUniform(shape, -1, 1, 'float32', 8).relu() as tf.Tensor4D;
          const r = tf.randomUniform(tf.maxPool(x, size, stride, pad).shape, -1, 1, 'float32', 9);
          return tf
            .grad((a: tf.Tensor) =>
              tf
                .maxPool(a as tf.Tensor4D, size, stride, pad)
                .mul(r)
                .sum(),
            )(x)
            .dataSync() as Float32Array;
        });
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-6);
    },
  );

  it.each([
    [false, false, [1, 6, 5], [1, 5, 4]],
    [true, false, [1, 5, 6], [1, 5, 4]],
    [false, true, [1, 6, 5], [1, 4, 5]],
    [true, true, [1, 5, 6], [1, 4, 5]],
    [false, false, [3, 6, 5], [3, 5, 4]],
    [true, true, [3, 5, 6], [1, 4, 5]],
  ] as [boolean, boolean, [number, number, number], [number, number, number]][])(
    'matMul(transposeA=%s, transposeB=%s) of %j and %j matches the CPU backend',
    async (ta, tb, aShape, bShape) => {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const a = tf.randomUniform(aShape, -1, 1, 'float32', 3) as tf.Tensor3D;
          const b = tf.randomUniform(bShape, -1, 1, 'float32', 4) as tf.Tensor3D;
          const out = tf.matMul(a, b, ta, tb);
          return { shape: out.shape, values: out.dataSync() as Float32Array };
        });
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect(wasm.shape).toEqual(cpu.shape);
      expect(maxAbsDiff(cpu.values, wasm.values)).toBeLessThan(1e-5);
    },
  );

  it('frees every intermediate of the composite kernels', async () => {
    await tf.setBackend('wasm');
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 6) as tf.Tensor4D;
    const before = { ...tf.memory(), dataIds: dataIds() };
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').sum())([x, w]);
      tf.matMul(x.reshape([2, 8, 24]), x.reshape([2, 8, 24]), true, false);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(dataIds()).toBe(before.dataIds);
    tf.dispose([x, w]);
  });
});
