import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { GaloisKeys } from 'node-seal/implementation/galois-keys.js';
import type { RelinKeys } from 'node-seal/implementation/relin-keys.js';
import type { PublicKey } from 'node-seal/implementation/public-key.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { CryptoError } from '../errors/crypto-error.js';
import type { HeContext } from './he-context.js';
import { packCoefficients } from './seal-layout.js';
import { withSealScope } from './seal-scope.js';
import { ENVELOPE_HEADER_BYTES, writeEnvelopeHeader } from './wire-envelope.js';

/**
 * A public key of a context: what the querying party hands to teachers. Teachers use it only to re-randomise
 * their responses (fresh encryptions of zero). Exported in SEAL's seeded form (half the size).
 */
export class HePublicKey {
  private encryptorObject: Encryptor | undefined;
  private disposed = false;

  private constructor(
    readonly context: HeContext,
    /** @internal */ readonly key: PublicKey,
    private readonly wire: Uint8Array,
  ) {}

  /** @internal */
  static fromBytes(context: HeContext, bytes: Uint8Array): HePublicKey {
    const { blob } = context.unpackRlwe('publicKey', bytes, 'INVALID_KEY', { seeded: true });
    const key = withSealScope(context.runtime, (scope) => scope.keep(context.loadPublicKey(scope, blob)));
    return new HePublicKey(context, key, bytes.slice());
  }

  /** The wire form (as generated or received). */
  export(): Uint8Array {
    return this.wire.slice();
  }

  /** @internal An encryptor under this key (created once, freed with the key). */
  get encryptor(): Encryptor {
    if (this.disposed) throw new CryptoError('DISPOSED', 'this public key was disposed');
    if (!this.encryptorObject) {
      const { runtime } = this.context;
      this.encryptorObject = runtime.own(
        runtime.guard('INVALID_KEY', 'encryptor', () => runtime.seal.Encryptor(this.context.sealContext, this.key)),
      );
    }
    return this.encryptorObject;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.runtime.free(this.encryptorObject);
    this.context.runtime.free(this.key);
  }
}

/**
 * The querying party's key pair. The secret key never leaves this object except through `exportSecretKey()`
 * (for the querying party's own storage); responses are decrypted here.
 */
export class HeKeyPair {
  private encryptorObject: Encryptor | undefined;
  private decryptorObject: Decryptor | undefined;
  private disposed = false;

  private constructor(
    readonly context: HeContext,
    readonly publicKey: HePublicKey,
    /** @internal */ readonly secretKey: SecretKey,
  ) {}

  /** @internal */
  static generate(context: HeContext): HeKeyPair {
    const { runtime } = context;
    const { seal } = runtime;
    const { secretKey, publicKeyBlob } = withSealScope(runtime, (scope) =>
      runtime.guard('RUNTIME_FAILURE', 'key generation', () => {
        const keygen = scope.track(seal.KeyGenerator(context.sealContext));
        const sk = scope.keep(scope.track(keygen.secretKey()));
        const blob = scope.track(keygen.createPublicKeySerializable()).saveArray(seal.ComprModeType.none);
        return { secretKey: sk, publicKeyBlob: blob };
      }),
    );
    try {
      const wire = context.packRlwe('publicKey', publicKeyBlob, context.keyPrimes, true, 1);
      return new HeKeyPair(context, HePublicKey.fromBytes(context, wire), secretKey);
    } catch (e) {
      runtime.free(secretKey);
      throw e;
    }
  }

  /** @internal */
  static fromBytes(context: HeContext, bytes: { secretKey: Uint8Array; publicKey: Uint8Array }): HeKeyPair {
    const { blob } = context.unpackRlwe('secretKey', bytes.secretKey, 'INVALID_KEY', {});
    const secretKey = withSealScope(context.runtime, (scope) => scope.keep(context.loadSecretKey(scope, blob)));
    try {
      return new HeKeyPair(context, HePublicKey.fromBytes(context, bytes.publicKey), secretKey);
    } catch (e) {
      context.runtime.free(secretKey);
      throw e;
    }
  }

  /** The secret key's wire form, for the querying party's own storage only. */
  exportSecretKey(): Uint8Array {
    this.assertUsable();
    const { runtime } = this.context;
    const blob = runtime.guard('RUNTIME_FAILURE', 'export secret key', () =>
      this.secretKey.saveArray(runtime.seal.ComprModeType.none),
    );
    const template = this.context.secretKeyLayout;
    const widthTotal = this.context
      .moduliAt(this.context.keyPrimes)
      .reduce((n, q) => n + Math.ceil(q.toString(2).length / 8), 0);
    const out = new Uint8Array(ENVELOPE_HEADER_BYTES + this.context.degree * widthTotal);
    writeEnvelopeHeader(out, {
      kind: 'secretKey',
      form: 'full',
      primes: this.context.keyPrimes,
      contextId: this.context.id,
      scale: 1,
    });
    const widths = this.context.moduliAt(this.context.keyPrimes).map((q) => Math.ceil(q.toString(2).length / 8));
    packCoefficients(blob, template, widths, out, ENVELOPE_HEADER_BYTES);
    return out;
  }

  /**
   * Evaluation keys for CKKS heads, for the teacher: relinearisation keys (needed by a square activation) and
   * Galois keys for the given rotation steps. Exported in seeded form. They let anyone compute on ciphertexts
   * under this key pair, never decrypt.
   */
  exportEvaluationKeys(request: EvaluationKeyRequest): EvaluationKeyBytes {
    this.assertUsable();
    const { context } = this;
    const { runtime } = context;
    const { seal } = runtime;
    const steps = request.galoisSteps ?? [];
    const slots = context.degree / 2;
    if (!steps.every((step) => Number.isInteger(step) && step !== 0 && Math.abs(step) < slots)) {
      throw new CryptoError('INVALID_ARGUMENT', 'galois steps must be non-zero integers below the slot count');
    }
    if (new Set(steps).size !== steps.length || steps.length > 64) {
      throw new CryptoError('INVALID_ARGUMENT', 'galois steps must be distinct (at most 64)');
    }
    return withSealScope(runtime, (scope) =>
      runtime.guard('RUNTIME_FAILURE', 'evaluation keys', () => {
        const keygen = scope.track(seal.KeyGenerator(context.sealContext, this.secretKey));
        const none = seal.ComprModeType.none;
        const out: { relinKeys?: Uint8Array; galoisKeys?: Uint8Array } = {};
        if (request.relinKeys) {
          const blob = scope.track(keygen.createRelinKeysSerializable()).saveArray(none);
          out.relinKeys = context.packKSwitchKeys('relinKeys', blob, true);
        }
        if (steps.length > 0) {
          const blob = scope.track(keygen.createGaloisKeysSerializable(Int32Array.from(steps))).saveArray(none);
          out.galoisKeys = context.packKSwitchKeys('galoisKeys', blob, true);
        }
        return out;
      }),
    );
  }

  /** @internal Encryptor holding both keys (symmetric, seeded encryption of queries). */
  get encryptor(): Encryptor {
    this.assertUsable();
    if (!this.encryptorObject) {
      const { runtime } = this.context;
      this.encryptorObject = runtime.own(
        runtime.guard('INVALID_KEY', 'encryptor', () =>
          runtime.seal.Encryptor(this.context.sealContext, this.publicKey.key, this.secretKey),
        ),
      );
    }
    return this.encryptorObject;
  }

  /** @internal */
  get decryptor(): Decryptor {
    this.assertUsable();
    if (!this.decryptorObject) {
      const { runtime } = this.context;
      this.decryptorObject = runtime.own(
        runtime.guard('INVALID_KEY', 'decryptor', () =>
          runtime.seal.Decryptor(this.context.sealContext, this.secretKey),
        ),
      );
    }
    return this.decryptorObject;
  }

  private assertUsable(): void {
    if (this.disposed) throw new CryptoError('DISPOSED', 'this key pair was disposed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const { runtime } = this.context;
    runtime.free(this.decryptorObject);
    runtime.free(this.encryptorObject);
    runtime.free(this.secretKey);
    this.publicKey.dispose();
  }
}

export interface EvaluationKeyRequest {
  readonly relinKeys?: boolean;
  /** Rotation steps (left rotations of the slot vector; negative = right). */
  readonly galoisSteps?: readonly number[];
}

export interface EvaluationKeyBytes {
  readonly relinKeys?: Uint8Array;
  readonly galoisKeys?: Uint8Array;
}

/** Relinearisation and Galois keys received by a teacher (see HeKeyPair.exportEvaluationKeys). */
export class HeEvaluationKeys {
  private disposed = false;

  private constructor(
    readonly context: HeContext,
    /** @internal */ readonly relinKeys: RelinKeys | undefined,
    /** @internal */ readonly galoisKeys: GaloisKeys | undefined,
  ) {}

  /** @internal */
  static fromBytes(context: HeContext, bytes: EvaluationKeyBytes): HeEvaluationKeys {
    const { runtime } = context;
    const { seal } = runtime;
    return withSealScope(runtime, (scope) => {
      const load = <T extends RelinKeys | GaloisKeys>(
        kind: 'relinKeys' | 'galoisKeys',
        make: () => T,
        wire: Uint8Array,
      ) => {
        const blob = context.unpackKSwitchKeys(kind, wire);
        const keys = scope.track(make());
        runtime.guard('INVALID_KEY', kind, () => keys.loadArray(context.sealContext, blob));
        return keys;
      };
      const relin = bytes.relinKeys ? load('relinKeys', () => seal.RelinKeys(), bytes.relinKeys) : undefined;
      const galois = bytes.galoisKeys ? load('galoisKeys', () => seal.GaloisKeys(), bytes.galoisKeys) : undefined;
      return new HeEvaluationKeys(
        context,
        relin ? scope.keep(relin) : undefined,
        galois ? scope.keep(galois) : undefined,
      );
    });
  }

  /** @internal */
  assertUsable(): void {
    if (this.disposed) throw new CryptoError('DISPOSED', 'these evaluation keys were disposed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.runtime.free(this.galoisKeys);
    this.context.runtime.free(this.relinKeys);
  }
}
