import sealPackage from 'node-seal';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { CryptoError, isCryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';

type SealFactory = () => Promise<SEALLibrary>;

/** Something that owns WASM memory and must be freed explicitly (every node-seal object). */
export interface SealObject {
  delete(): void;
}

interface WasmMemoryLike {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

function isWasmMemory(value: unknown): value is WasmMemoryLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { grow?: unknown }).grow === 'function' &&
    // Compared by tag, not instanceof: under Jest the memory may come from another realm.
    Object.prototype.toString.call((value as { buffer?: unknown }).buffer) === '[object ArrayBuffer]'
  );
}

/** node-seal 6.0.3 ships a UMD bundle whose module.exports is the factory; TypeScript sees an ES default export. */
function sealFactory(): SealFactory {
  const candidate: unknown = sealPackage;
  if (typeof candidate === 'function') return candidate as SealFactory;
  const inner = (candidate as { default?: unknown } | undefined)?.default;
  if (typeof inner === 'function') return inner as SealFactory;
  throw new CryptoError('RUNTIME_FAILURE', 'node-seal did not export its factory');
}

/**
 * One instance of Microsoft SEAL 4.1 compiled to WebAssembly (node-seal 6.0.3). Its heap only grows (up to
 * 4 GiB), so every SEAL object must be deleted deterministically: this runtime counts the objects handed out
 * through `own` / `free` and reports the heap size, so that tests can prove that nothing leaks.
 *
 * A WebAssembly trap (abort, out-of-bounds access) can leave the instance corrupted: `guard` marks the runtime
 * failed and every later call throws RUNTIME_FAILURE; load a fresh runtime with `SealRuntime.load()`. Untrusted
 * bytes are never handed to SEAL's own loaders unchecked (see seal-layout.ts), since those trap on truncated or
 * corrupted input.
 */
export class SealRuntime {
  private live = 0;
  private broken = false;

  private constructor(
    readonly seal: SEALLibrary,
    private readonly memory: WasmMemoryLike | undefined,
  ) {}

  /** Loads a fresh SEAL instance (about 100 ms). */
  static async load(): Promise<SealRuntime> {
    // The bundle instantiates its inlined module through WebAssembly.instantiate and does not expose the memory;
    // it is captured from the instance exports for heap measurements only. The hook is removed right after.
    let memory: WasmMemoryLike | undefined;
    const wasm = (globalThis as unknown as { WebAssembly: { instantiate: (...args: unknown[]) => Promise<unknown> } })
      .WebAssembly;
    const original = wasm.instantiate;
    wasm.instantiate = async (...args: unknown[]) => {
      const result = await original.apply(wasm, args);
      const instance = (result as { instance?: { exports?: Record<string, unknown> } }).instance ?? result;
      const exports = (instance as { exports?: Record<string, unknown> }).exports ?? {};
      memory ??= Object.values(exports).find(isWasmMemory);
      return result;
    };
    try {
      const seal = await sealFactory()();
      return new SealRuntime(seal, memory);
    } catch (e) {
      throw new CryptoError('RUNTIME_FAILURE', 'node-seal failed to load', { cause: e });
    } finally {
      wasm.instantiate = original;
    }
  }

  /** Bytes of the WebAssembly heap (it never shrinks), or undefined if it could not be observed. */
  heapBytes(): number | undefined {
    return this.memory?.buffer.byteLength;
  }

  /** SEAL objects handed out and not yet freed through this runtime. */
  get liveObjects(): number {
    return this.live;
  }

  get failed(): boolean {
    return this.broken;
  }

  /** Registers an object the caller must later `free`. */
  own<T extends SealObject>(object: T): T {
    this.live++;
    return object;
  }

  /** Deletes an object obtained through `own`. */
  free(object: SealObject | undefined): void {
    if (!object) return;
    this.live--;
    try {
      object.delete();
    } catch {
      // Deleting cannot fail unless the instance is already corrupted; nothing more to release then.
    }
  }

  /**
   * Runs SEAL calls: a SEAL exception becomes a CryptoError with `code`; a WebAssembly trap marks the runtime
   * failed (RUNTIME_FAILURE) since the instance's state can no longer be trusted.
   */
  guard<T>(code: CryptoErrorCode, what: string, fn: () => T): T {
    if (this.broken) throw new CryptoError('RUNTIME_FAILURE', 'the SEAL runtime failed earlier; load a new one');
    try {
      return fn();
    } catch (e) {
      if (isCryptoError(e)) throw e;
      if ((e as { name?: unknown } | undefined)?.name === 'RuntimeError') {
        this.broken = true;
        throw new CryptoError('RUNTIME_FAILURE', `${what}: the SEAL runtime trapped`, { cause: e });
      }
      throw new CryptoError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}

let shared: Promise<SealRuntime> | undefined;

/** The process-wide SEAL runtime, loaded on first use (and again after a failure). */
export async function loadSealRuntime(): Promise<SealRuntime> {
  if (shared) {
    const runtime = await shared.catch(() => undefined);
    if (runtime && !runtime.failed) return runtime;
  }
  shared = SealRuntime.load();
  return shared;
}
