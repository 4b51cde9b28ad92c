import * as tf from '@tensorflow/tfjs';

/** The backend object a kernel receives; the WASM kernels only need `disposeData`. */
export interface KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Runs other WASM kernels from inside a kernel (on TensorInfos, below the engine) and frees the intermediates.
 * Composite kernels in tfjs's own backends work the same way; calling tf ops here would go through the engine
 * and be tracked as tensors of the outer call.
 */
export class WasmKernelRunner {
  private readonly intermediates: tf.TensorInfo[] = [];

  constructor(private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`WASM kernel ${kernelName} is not registered`);
    return this.track(
      kernel.kernelFunc({ inputs, attrs, backend: this.backend as unknown as tf.KernelBackend }) as tf.TensorInfo,
    );
  }

  /** Runs a kernel function captured before it was replaced (the original implementation). */
  runFunc(kernelFunc: tf.KernelFunc, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    return this.track(
      kernelFunc({ inputs, attrs, backend: this.backend as unknown as tf.KernelBackend }) as tf.TensorInfo,
    );
  }

  /** Frees every intermediate except `result`, which the kernel returns to the engine. */
  finish(result: tf.TensorInfo): tf.TensorInfo {
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
    return result;
  }

  /** Frees every intermediate (when the kernel fails). */
  abort(): void {
    for (const info of this.intermediates) this.backend.disposeData(info.dataId);
    this.intermediates.length = 0;
  }

  private track(info: tf.TensorInfo): tf.TensorInfo {
    this.intermediates.push(info);
    return info;
  }
}
