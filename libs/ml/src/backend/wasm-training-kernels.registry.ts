import * as tf from '@tensorflow/tfjs';
import { makeBatchMatMulWasm } from './batch-matmul.kernel.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.kernel.js';
import { makeConv2dBackpropInputWasm } from './conv2d-backprop-input.kernel.js';
import { maxPoolGradWasm } from './max-pool-grad.kernel.js';

/** Which WASM kernels to add or replace (all by default). */
export interface WasmKernelChoice {
  conv2dBackpropFilter?: boolean;
  conv2dBackpropInput?: boolean;
  batchMatMul?: boolean;
  maxPoolGrad?: boolean;
}

let originals: Map<string, tf.KernelConfig> | undefined;

function replace(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Registers the kernels WASM training needs: Conv2DBackpropFilter (missing from tfjs-backend-wasm 4.22, so
 * convolutional models cannot train without it), a faster Conv2DBackpropInput, and a faster BatchMatMul for
 * transposed or batched operands, and a faster MaxPoolGrad. Must run after the WASM backend is initialised: the replaced kernels keep
 * using the shipped ones, whose setup (binding the WASM functions) happens at initialisation. Idempotent.
 */
export function registerWasmTrainingKernels(choice: WasmKernelChoice = {}): void {
  if (!originals) {
    originals = new Map();
    for (const name of ['Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad']) {
      const config = tf.getKernel(name, 'wasm');
      if (config) originals.set(name, config);
    }
  }
  const { conv2dBackpropFilter = true, conv2dBackpropInput = true, batchMatMul = true, maxPoolGrad = true } = choice;
  if (conv2dBackpropFilter) replace('Conv2DBackpropFilter', conv2dBackpropFilterWasm as unknown as tf.KernelFunc);
  if (conv2dBackpropInput) {
    replace(
      'Conv2DBackpropInput',
      makeConv2dBackpropInputWasm(originals.get('Conv2DBackpropInput')?.kernelFunc) as unknown as tf.KernelFunc,
    );
  }
  const matMul = originals.get('BatchMatMul');
  if (batchMatMul && matMul) replace('BatchMatMul', makeBatchMatMulWasm(matMul.kernelFunc) as unknown as tf.KernelFunc);
  if (maxPoolGrad) replace('MaxPoolGrad', maxPoolGradWasm as unknown as tf.KernelFunc);
}

/** Puts the shipped kernels back (for measurements and tests that compare implementations). */
export function restoreShippedWasmKernels(): void {
  if (!originals) return;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  for (const [name, config] of originals) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
}
