import * as tf from '@tensorflow/tfjs';
import { WasmKernelRunner, type KernelBackend } from './wasm-kernel.runner.js';

/**
 * A faster Conv2DBackpropInput for the WASM backend (stride 1; other strides use the original kernel).
 * At stride 1 the input gradient
 *   dx[n, h, w, ci] = sum over i, j, co of dy[n, h + padTop - i, w + padLeft - j, co] * W[i, j, ci, co]
 * is the forward convolution of dy with the filter flipped in space and with its channel axes swapped,
 * padded by (filter - 1 - forward padding) on top/left and whatever makes the output [N, H, W, Cin].
 * Measured (batch 32): 42.6 -> 9.1 ms for the MNIST CNN's second layer, 115 -> 11 ms for a 'same' 14x14x16->32 layer.
 */
export function makeConv2dBackpropInputWasm(original: tf.KernelFunc | undefined) {
  return function conv2dBackpropInputWasm(args: {
    inputs: tf.NamedTensorInfoMap;
    backend: unknown;
    attrs?: tf.NamedAttrMap;
  }): tf.TensorInfo {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
    const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      dataFormat,
    );
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || dataFormat !== 'channelsLast') {
      if (!original) throw new Error('Conv2DBackpropInput (wasm): unsupported strides or data format');
      return original(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const runner = new WasmKernelRunner(args.backend as KernelBackend);
    try {
      const flipped = runner.run('Reverse', { x: filter }, { dims: [0, 1] });
      const kernel = runner.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
      let top = info.filterHeight - 1 - info.padInfo.top;
      let left = info.filterWidth - 1 - info.padInfo.left;
      let bottom = info.inHeight - info.outHeight - top + info.filterHeight - 1;
      let right = info.inWidth - info.outWidth - left + info.filterWidth - 1;
      let source = dy;
      if (top < 0 || left < 0 || bottom < 0 || right < 0) {
        // Padding larger than the filter reaches rows of dy that no input position depends on: crop them.
        const [n, rows, cols, channels] = dy.shape;
        const cropTop = Math.max(-top, 0);
        const cropLeft = Math.max(-left, 0);
        source = runner.run(
          'Slice',
          { x: dy },
          {
            begin: [0, cropTop, cropLeft, 0],
            size: [n, rows - cropTop - Math.max(-bottom, 0), cols - cropLeft - Math.max(-right, 0), channels],
          },
        );
        top = Math.max(top, 0);
        left = Math.max(left, 0);
        bottom = Math.max(bottom, 0);
        right = Math.max(right, 0);
      }
      return runner.finish(
        runner.run('Conv2D', { x: source, filter: kernel }, {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
        } as unknown as tf.NamedAttrMap),
      );
    } catch (error) {
      runner.abort();
      throw error;
    }
  };
}
