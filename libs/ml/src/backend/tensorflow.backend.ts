import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-training-kernels.registry.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The logger calls this lib makes; a pino Logger fits. */
export interface MlLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface InitTensorflowOptions {
  logger?: MlLogger;
  /**
   * Start the search here: 'tensorflow' (default) tries tfjs-node, then WASM, then CPU; 'wasm' skips
   * tfjs-node; 'cpu' uses the plain CPU backend.
   */
  prefer?: BackendName;
}

export interface TensorflowBackend {
  name: BackendName;
  /** Why faster backends were skipped (for the start-up log). */
  skipped: { name: BackendName; reason: string }[];
}

// tfjs-node is optional: its install downloads a native library, which fails on air-gapped hosts.
// A non-literal specifier keeps TypeScript from requiring its types.
const TFJS_NODE = '@tensorflow/tfjs-node';

let chosen: Promise<TensorflowBackend> | undefined;

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

async function tryTfjsNode(): Promise<void> {
  await import(TFJS_NODE);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
}

async function tryWasm(): Promise<void> {
  // The .wasm binaries sit next to the package's main file; resolving it works in plain Node and under Jest.
  const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(`${dirname(main)}/`);
  // Threads gave no speed-up in Node (measured); the single-threaded SIMD binary also avoids worker start-up.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  registerWasmTrainingKernels();
}

async function choose(prefer: BackendName, logger?: MlLogger): Promise<TensorflowBackend> {
  const order: BackendName[] =
    prefer === 'tensorflow' ? ['tensorflow', 'wasm', 'cpu'] : prefer === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  const skipped: TensorflowBackend['skipped'] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow') await tryTfjsNode();
      else if (name === 'wasm') await tryWasm();
      else if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      await tf.ready();
      const backend = { name, skipped };
      logger?.info({ backend: name, skipped }, `TensorFlow.js backend: ${name}`);
      return backend;
    } catch (error) {
      skipped.push({ name, reason: reason(error) });
    }
  }
  logger?.warn({ skipped }, 'no TensorFlow.js backend could be initialised');
  throw new Error(
    `no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/**
 * Chooses the TensorFlow.js backend once per process (tfjs-node if installed, else WASM with the training
 * kernels it lacks, else CPU) and logs the choice. Later calls return the first choice whatever they ask for.
 */
export function initTensorflow(options: InitTensorflowOptions = {}): Promise<TensorflowBackend> {
  chosen ??= choose(options.prefer ?? 'tensorflow', options.logger).catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}
