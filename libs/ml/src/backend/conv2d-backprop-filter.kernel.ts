import * as tf from '@tensorflow/tfjs';
import { WasmKernelRunner, type KernelBackend } from './wasm-kernel.runner.js';

/**
 * Conv2DBackpropFilter for the WASM backend, which does not ship one. The filter gradient
 *   dW[i, j, ci, co] = sum over n, a, b of x[n, a*s + i - padTop, b*s + j - padLeft, ci] * dy[n, a, b, co]
 * is itself a convolution once the batch axis plays the role of the channels: convolve
 *   x^T = x transposed to [Cin, H, W, N]  with  dy^T = dy transposed to [Ho, Wo, N, Cout]
 * at stride 1 and dilation s (the forward stride), with the forward padding on top/left and whatever
 * bottom/right padding (or crop) makes the output exactly [Cin, fh, fw, Cout]; then transpose to
 * [fh, fw, Cin, Cout]. XNNPACK runs it at about the cost of the forward pass (5-7 ms per MNIST CNN layer, batch
 * 32); STACK.md reports an im2col version 5x slower.
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm) supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const [, inHeight, inWidth] = x.shape;
  const runner = new WasmKernelRunner(args.backend as KernelBackend);
  try {
    let xT = runner.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyT = runner.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    let bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - inHeight - top;
    let right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - inWidth - left;
    if (bottom < 0 || right < 0) {
      // With 'valid' padding and a stride that does not divide the input, the last rows/columns are never read.
      const keepHeight = inHeight + Math.min(bottom, 0);
      const keepWidth = inWidth + Math.min(right, 0);
      xT = runner.run(
        'Slice',
        { x: xT },
        { begin: [0, 0, 0, 0], size: [xT.shape[0], keepHeight, keepWidth, xT.shape[3]] },
      );
      bottom = Math.max(bottom, 0);
      right = Math.max(right, 0);
    }
    const grad = runner.run('Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
    } as unknown as tf.NamedAttrMap);
    return runner.finish(runner.run('Transpose', { x: grad }, { perm: [1, 2, 0, 3] }));
  } catch (error) {
    runner.abort();
    throw error;
  }
}

export const conv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
};
