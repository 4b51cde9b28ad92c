import * as tf from '@tensorflow/tfjs';
import { WasmKernelRunner, type KernelBackend } from './wasm-kernel.runner.js';

/**
 * BatchMatMul for the WASM backend. The shipped kernel (XNNPACK) is fast for untransposed operands only; with a
 * transposed operand (every dense-layer gradient: dy x W^T and x^T x dy) it is 5-8x slower (measured: 6.4 ms ->
 * 0.8 ms for x^T dy of a 784-128 layer on a batch of 32). This kernel materialises the transpose (a cheap
 * memory pass) and calls the shipped kernel on untransposed operands. Splitting a batch dimension into
 * separate products was measured too and is much slower (129 ms vs 9 ms for [50,100,128] x [50,128,10]).
 */
export function makeBatchMatMulWasm(original: tf.KernelFunc) {
  return function batchMatMulWasm(args: {
    inputs: tf.NamedTensorInfoMap;
    backend: unknown;
    attrs?: tf.NamedAttrMap;
  }): tf.TensorInfo {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const runner = new WasmKernelRunner(args.backend as KernelBackend);
    try {
      const a2 = attrs.transposeA ? swapLastAxes(runner, a) : a;
      const b2 = attrs.transposeB ? swapLastAxes(runner, b) : b;
      return runner.finish(runner.runFunc(original, { a: a2, b: b2 }, { transposeA: false, transposeB: false }));
    } catch (error) {
      runner.abort();
      throw error;
    }
  };
}

/** The operand with its last two axes swapped, materialised. */
function swapLastAxes(runner: WasmKernelRunner, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runner.run('Transpose', { x }, { perm });
}
