import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import type { ParmsIdType } from 'node-seal/implementation/parms-id-type.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import type { PublicKey } from 'node-seal/implementation/public-key.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import type { Serializable } from 'node-seal/implementation/serializable.js';
import { CryptoError } from '../errors/crypto-error.js';
import { heContextId, validateHeParameters, type HeParameters, type HeScheme } from './he-parameters.js';
import { HeEvaluationKeys, HeKeyPair, HePublicKey, type EvaluationKeyBytes } from './he-keys.js';
import {
  checkHeader,
  ciphertextTemplate,
  coefficientWidths,
  packCoefficients,
  plaintextTemplate,
  readSeed,
  SEED_LENGTH,
  templateBlobLength,
  unpackCoefficients,
  writeSeed,
  type SealTemplate,
} from './seal-layout.js';
import { loadSealRuntime, type SealRuntime } from './seal-runtime.js';
import { SealScope, withSealScope } from './seal-scope.js';
import { ENVELOPE_HEADER_BYTES, readEnvelopeHeader, writeEnvelopeHeader, type EnvelopeKind } from './wire-envelope.js';

/** Options of `importCiphertext`: which levels (counted in RNS primes) and forms are acceptable here. */
export interface CiphertextExpectation {
  /** Accepted numbers of RNS primes; default: any data level. */
  readonly primes?: readonly number[];
  /** Accept the seeded (compressed) form of fresh symmetric encryptions; default false. */
  readonly seeded?: boolean;
}

/** HeContext.shared's contexts, by context id. */
const SHARED_CONTEXTS = new Map<string, Promise<HeContext>>();

/**
 * A SEAL context for one parameter set, with what the protocols need around it: the context id, an evaluator,
 * the CKKS encoder, and the templates that turn Conclave's wire format into SEAL blobs. Keys and ciphertexts
 * carry the context id; a context refuses those of another (CONTEXT_MISMATCH). Call `dispose()` when done.
 */
export class HeContext {
  readonly id: string;
  readonly scheme: HeScheme;
  readonly degree: number;
  /** BFV: the plain modulus t (below 2^32). */
  readonly plainModulus: number | undefined;
  /** RNS primes of the key level (all of them) and of the first data level (all but the special prime). */
  readonly keyPrimes: number;
  readonly dataPrimes: number;
  /** @internal */ readonly sealContext: Context;
  /** @internal */ readonly evaluator: Evaluator;
  /** @internal */ readonly ckksEncoder: CKKSEncoder | undefined;
  private readonly moduli: readonly bigint[];
  private readonly widths: readonly number[];
  private readonly cipherTemplates = new Map<number, SealTemplate>();
  private readonly seededCipherTemplate: SealTemplate;
  private readonly publicKeyTemplate: SealTemplate;
  private readonly seededPublicKeyTemplate: SealTemplate;
  private readonly secretKeyTemplate: SealTemplate;
  private readonly plainTemplate: SealTemplate | undefined;
  private readonly prngType: number;
  private disposed = false;
  /** A context of `HeContext.shared`: used by every caller of the process, so dispose() leaves it alone. */
  private shared = false;

  private constructor(
    readonly runtime: SealRuntime,
    readonly params: HeParameters,
  ) {
    validateHeParameters(params);
    this.id = heContextId(params);
    this.scheme = params.scheme;
    this.degree = params.polyModulusDegree;
    this.plainModulus = params.plainModulus === undefined ? undefined : Number(params.plainModulus);
    this.moduli = params.coeffModulus;
    this.widths = coefficientWidths(params.coeffModulus);
    this.keyPrimes = params.coeffModulus.length;
    this.dataPrimes = this.keyPrimes - 1;
    const seal = runtime.seal;
    const N = this.degree;

    const owned: { context?: Context; evaluator?: Evaluator; encoder?: CKKSEncoder } = {};
    try {
      owned.context = runtime.own(this.createSealContext());
      owned.evaluator = runtime.own(
        runtime.guard('INVALID_PARAMETERS', 'evaluator', () => seal.Evaluator(owned.context!)),
      );
      if (this.scheme === 'ckks') {
        owned.encoder = runtime.own(
          runtime.guard('INVALID_PARAMETERS', 'encoder', () => seal.CKKSEncoder(owned.context!)),
        );
      }
    } catch (e) {
      runtime.free(owned.encoder);
      runtime.free(owned.evaluator);
      runtime.free(owned.context);
      throw e;
    }
    this.sealContext = owned.context;
    this.evaluator = owned.evaluator;
    this.ckksEncoder = owned.encoder;

    // Templates of every blob shape the wire carries, made from throwaway local objects.
    try {
      const made = withSealScope(runtime, (scope) =>
        runtime.guard('RUNTIME_FAILURE', 'templates', () => {
          const none = seal.ComprModeType.none;
          const context = this.sealContext;
          const keygen = scope.track(seal.KeyGenerator(context));
          const secretKey = scope.track(keygen.secretKey());
          const seededPk = scope.track(keygen.createPublicKeySerializable()).saveArray(none);
          const publicKey = scope.track(seal.PublicKey());
          publicKey.loadArray(context, seededPk);
          const encryptor = scope.track(seal.Encryptor(context, publicKey, secretKey));
          let ct = scope.track(encryptor.encryptZero() as CipherText);
          const cipher = new Map<number, SealTemplate>();
          for (let primes = this.dataPrimes; primes >= 1; primes--) {
            cipher.set(primes, ciphertextTemplate(ct.saveArray(none), N, primes, false));
            if (primes > 1) ct = scope.track(this.evaluator.cipherModSwitchToNext(ct) as CipherText);
          }
          const zero = scope.track(this.zeroPlaintextForTemplate());
          const seededCt = scope.track(encryptor.encryptSymmetricSerializable(zero)).saveArray(none);
          const plain =
            this.scheme === 'bfv'
              ? plaintextTemplate(scope.track(seal.PlainText({ coeffCount: N })).saveArray(none), N, 1)
              : undefined;
          return {
            cipher,
            seededCipher: ciphertextTemplate(seededCt, N, this.dataPrimes, true),
            publicKey: ciphertextTemplate(publicKey.saveArray(none), N, this.keyPrimes, false),
            seededPublicKey: ciphertextTemplate(seededPk, N, this.keyPrimes, true),
            secretKey: plaintextTemplate(secretKey.saveArray(none), N, this.keyPrimes),
            plain,
          };
        }),
      );
      for (const [primes, template] of made.cipher) this.cipherTemplates.set(primes, template);
      this.seededCipherTemplate = made.seededCipher;
      this.publicKeyTemplate = made.publicKey;
      this.seededPublicKeyTemplate = made.seededPublicKey;
      this.secretKeyTemplate = made.secretKey;
      this.plainTemplate = made.plain;
      this.prngType = made.seededCipher.seedHeader![16];
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** A context on the process-wide runtime (or the one given). */
  static async create(params: HeParameters, runtime?: SealRuntime): Promise<HeContext> {
    return new HeContext(runtime ?? (await loadSealRuntime()), params);
  }

  /**
   * The process's context for these parameters, made once on the process-wide runtime and kept for the life of the
   * process: a context is public precomputation of the parameters only (SEAL's NTT tables and checks, about half a
   * second for BFV_8192 on 2 cores), holds no key, and is safe to share between jobs and concurrent callers. Its
   * dispose() does nothing. A creation that fails is not kept (the next call tries again).
   */
  static shared(params: HeParameters): Promise<HeContext> {
    const id = heContextId(params);
    let context = SHARED_CONTEXTS.get(id);
    if (!context) {
      context = HeContext.create(params).then((created) => {
        created.shared = true;
        return created;
      });
      context.catch(() => SHARED_CONTEXTS.delete(id));
      SHARED_CONTEXTS.set(id, context);
    }
    return context;
  }

  /** A context on an already loaded runtime. */
  static createWithRuntime(runtime: SealRuntime, params: HeParameters): HeContext {
    return new HeContext(runtime, params);
  }

  private createSealContext(): Context {
    const { seal } = this.runtime;
    return withSealScope(this.runtime, (scope) =>
      this.runtime.guard('INVALID_PARAMETERS', 'context', () => {
        const parms = scope.track(
          seal.EncryptionParameters(this.scheme === 'bfv' ? seal.SchemeType.bfv : seal.SchemeType.ckks),
        );
        parms.setPolyModulusDegree(this.degree);
        const moduli = scope.track(seal.Vector());
        // node-seal's typings say typed array; its Modulus vector is built from Modulus instances.
        const instances: unknown = this.moduli.map((q) => scope.track(seal.Modulus(q)).instance);
        moduli.from(instances as BigUint64Array, 'Modulus');
        parms.setCoeffModulus(moduli);
        if (this.scheme === 'bfv') parms.setPlainModulus(scope.track(seal.Modulus(this.params.plainModulus!)));
        const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
        if (!context.parametersSet()) {
          context.delete();
          throw new CryptoError('INVALID_PARAMETERS', 'SEAL refused the parameters (primes, NTT or 128-bit security)');
        }
        if (this.scheme === 'bfv' && !this.usesBatching(context, scope)) {
          context.delete();
          throw new CryptoError('INVALID_PARAMETERS', 'the BFV plain modulus must be a batching prime');
        }
        return context;
      }),
    );
  }

  private usesBatching(context: Context, scope: SealScope): boolean {
    const data = scope.track(context.firstContextData);
    const qualifiers = scope.track(data.qualifiers);
    return qualifiers.usingBatching;
  }

  private zeroPlaintextForTemplate(): PlainText {
    if (this.scheme === 'bfv') return this.runtime.seal.PlainText({ coeffCount: this.degree });
    return this.ckksEncoder!.encode(new Float64Array(this.degree / 2), 2 ** 40) as PlainText;
  }

  private assertUsable(): void {
    if (this.disposed) throw new CryptoError('DISPOSED', 'this HE context was disposed');
  }

  /** Primes of the level that keeps `primes` RNS primes. */
  moduliAt(primes: number): readonly bigint[] {
    return this.moduli.slice(0, primes);
  }

  /** Size in bytes of a full ciphertext on the wire at a level of `primes` primes. */
  ciphertextBytes(primes: number = this.dataPrimes): number {
    return ENVELOPE_HEADER_BYTES + 2 * this.degree * this.widths.slice(0, primes).reduce((a, b) => a + b, 0);
  }

  /** A fresh key pair: a secret key and its (seeded) public key. */
  generateKeys(): HeKeyPair {
    this.assertUsable();
    return HeKeyPair.generate(this);
  }

  importPublicKey(bytes: Uint8Array): HePublicKey {
    this.assertUsable();
    return HePublicKey.fromBytes(this, bytes);
  }

  importKeyPair(bytes: { secretKey: Uint8Array; publicKey: Uint8Array }): HeKeyPair {
    this.assertUsable();
    return HeKeyPair.fromBytes(this, bytes);
  }

  /** Relinearisation / Galois keys received from the querying party (CKKS heads). */
  importEvaluationKeys(bytes: EvaluationKeyBytes): HeEvaluationKeys {
    this.assertUsable();
    return HeEvaluationKeys.fromBytes(this, bytes);
  }

  // ---- wire format (internal to libs/crypto) ----

  /** @internal Packs a SEAL RLWE blob (ciphertext or public key) into an envelope. */
  packRlwe(kind: EnvelopeKind, blob: Uint8Array, primes: number, seeded: boolean, scale: number): Uint8Array {
    const template = this.templateFor(kind, primes, seeded);
    if (!template) throw new CryptoError('RUNTIME_FAILURE', `no template for a ${kind} with ${primes} primes`);
    const payload = template.polys * this.degree * this.widths.slice(0, primes).reduce((a, b) => a + b, 0);
    const out = new Uint8Array(ENVELOPE_HEADER_BYTES + payload + (seeded ? 1 + SEED_LENGTH : 0));
    writeEnvelopeHeader(out, { kind, form: seeded ? 'seeded' : 'full', primes, contextId: this.id, scale });
    const end = packCoefficients(blob, template, this.widths, out, ENVELOPE_HEADER_BYTES);
    if (seeded) {
      const { prngType, seed } = readSeed(template, blob);
      out[end] = prngType;
      out.set(seed, end + 1);
    }
    return out;
  }

  /** @internal Rebuilds the SEAL blob of an enveloped RLWE object after checking every byte of it. */
  unpackRlwe(
    kind: EnvelopeKind,
    bytes: Uint8Array,
    code: 'INVALID_CIPHERTEXT' | 'INVALID_KEY',
    accept: CiphertextExpectation,
  ): { blob: Uint8Array; primes: number; scale: number } {
    this.assertUsable();
    const header = readEnvelopeHeader(bytes, kind, this.id, code);
    const seeded = header.form === 'seeded';
    if (seeded && !accept.seeded) throw new CryptoError(code, `${kind}: the seeded form is not accepted here`);
    if (accept.primes && !accept.primes.includes(header.primes)) {
      throw new CryptoError(code, `${kind}: unexpected level (${header.primes} primes)`);
    }
    const template = this.templateFor(kind, header.primes, seeded);
    if (!template) throw new CryptoError(code, `${kind}: no such level or form`);
    if ((this.scheme === 'bfv' || kind !== 'ciphertext') && header.scale !== 1) {
      throw new CryptoError(code, `${kind}: unexpected scale`);
    }
    const payload =
      template.polys * this.degree * this.widths.slice(0, header.primes).reduce((a, b) => a + b, 0) +
      (seeded ? 1 + SEED_LENGTH : 0);
    if (bytes.length !== ENVELOPE_HEADER_BYTES + payload) throw new CryptoError(code, `${kind}: wrong length`);
    const scale = kind === 'ciphertext' && this.scheme === 'ckks' ? header.scale : undefined;
    const { blob, offset } = unpackCoefficients(
      template,
      this.moduli,
      this.widths,
      bytes,
      ENVELOPE_HEADER_BYTES,
      scale,
      code,
    );
    if (seeded) {
      if (bytes[offset] !== this.prngType) throw new CryptoError(code, `${kind}: unknown PRNG`);
      writeSeed(template, blob, this.prngType, bytes.subarray(offset + 1, offset + 1 + SEED_LENGTH));
    }
    return { blob, primes: header.primes, scale: header.scale };
  }

  private templateFor(kind: EnvelopeKind, primes: number, seeded: boolean): SealTemplate | undefined {
    if (kind === 'publicKey') {
      if (primes !== this.keyPrimes) return undefined;
      return seeded ? this.seededPublicKeyTemplate : this.publicKeyTemplate;
    }
    if (kind === 'secretKey') return primes === this.keyPrimes && !seeded ? this.secretKeyTemplate : undefined;
    if (seeded) return primes === this.dataPrimes ? this.seededCipherTemplate : undefined;
    return this.cipherTemplates.get(primes);
  }

  /**
   * @internal Packs SEAL key-switching keys (relinearisation or Galois keys: a table of public-key-like blobs at
   * the key level) into an envelope whose payload is
   *   u32 tableSize | u32 entries | entries x (u32 index, u32 keys) | keys x packed public-key payload.
   */
  packKSwitchKeys(kind: 'relinKeys' | 'galoisKeys', blob: Uint8Array, seeded: boolean): Uint8Array {
    const layout = (why: string): CryptoError =>
      new CryptoError('RUNTIME_FAILURE', `unexpected ${kind} layout: ${why}`);
    const pk = seeded ? this.seededPublicKeyTemplate : this.publicKeyTemplate;
    const pkLength = templateBlobLength(pk);
    checkHeader(blob, 0, blob.length);
    for (let i = 16; i < 48; i++) if (blob[i] !== pk.prefix[i]) throw layout('parms_id');
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const tableSize = Number(view.getBigUint64(48, true));
    if (tableSize > this.degree) throw layout('table size');
    const entries: { index: number; count: number; at: number }[] = [];
    let at = 56;
    for (let index = 0; index < tableSize; index++) {
      const count = Number(view.getBigUint64(at, true));
      at += 8;
      if (count > 0) {
        if (count !== this.dataPrimes) throw layout('decomposition count');
        entries.push({ index, count, at });
        at += count * pkLength;
      }
    }
    if (at !== blob.length) throw layout('length');
    const keyPayload = this.rlwePayloadBytes(pk, this.keyPrimes, seeded);
    const keys = entries.reduce((n, e) => n + e.count, 0);
    const out = new Uint8Array(ENVELOPE_HEADER_BYTES + 8 + 8 * entries.length + keys * keyPayload);
    writeEnvelopeHeader(out, {
      kind,
      form: seeded ? 'seeded' : 'full',
      primes: this.keyPrimes,
      contextId: this.id,
      scale: 1,
    });
    const outView = new DataView(out.buffer);
    outView.setUint32(ENVELOPE_HEADER_BYTES, tableSize, true);
    outView.setUint32(ENVELOPE_HEADER_BYTES + 4, entries.length, true);
    let offset = ENVELOPE_HEADER_BYTES + 8;
    for (const e of entries) {
      outView.setUint32(offset, e.index, true);
      outView.setUint32(offset + 4, e.count, true);
      offset += 8;
    }
    for (const e of entries) {
      for (let k = 0; k < e.count; k++) {
        const key = blob.subarray(e.at + k * pkLength, e.at + (k + 1) * pkLength);
        offset = packCoefficients(key, pk, this.widths, out, offset);
        if (seeded) {
          const { prngType, seed } = readSeed(pk, key);
          out[offset] = prngType;
          out.set(seed, offset + 1);
          offset += 1 + SEED_LENGTH;
        }
      }
    }
    return out;
  }

  /** @internal The inverse of packKSwitchKeys, checking every field and coefficient (INVALID_KEY). */
  unpackKSwitchKeys(kind: 'relinKeys' | 'galoisKeys', bytes: Uint8Array): Uint8Array {
    this.assertUsable();
    const bad = (why: string): CryptoError => new CryptoError('INVALID_KEY', `${kind}: ${why}`);
    const header = readEnvelopeHeader(bytes, kind, this.id, 'INVALID_KEY');
    if (header.primes !== this.keyPrimes || header.scale !== 1) throw bad('unexpected level or scale');
    const seeded = header.form === 'seeded';
    const pk = seeded ? this.seededPublicKeyTemplate : this.publicKeyTemplate;
    const pkLength = templateBlobLength(pk);
    const keyPayload = this.rlwePayloadBytes(pk, this.keyPrimes, seeded);
    if (bytes.length < ENVELOPE_HEADER_BYTES + 8) throw bad('too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tableSize = view.getUint32(ENVELOPE_HEADER_BYTES, true);
    const count = view.getUint32(ENVELOPE_HEADER_BYTES + 4, true);
    if (kind === 'relinKeys' ? tableSize !== 1 || count !== 1 : tableSize !== this.degree || count > 64) {
      throw bad('unexpected table');
    }
    if (bytes.length < ENVELOPE_HEADER_BYTES + 8 + 8 * count) throw bad('too short');
    const entries: { index: number; count: number }[] = [];
    let offset = ENVELOPE_HEADER_BYTES + 8;
    for (let i = 0; i < count; i++, offset += 8) {
      const index = view.getUint32(offset, true);
      const keys = view.getUint32(offset + 4, true);
      if (index >= tableSize || (i > 0 && index <= entries[i - 1].index) || keys !== this.dataPrimes) {
        throw bad('bad table entry');
      }
      entries.push({ index, count: keys });
    }
    const keys = entries.reduce((n, e) => n + e.count, 0);
    if (bytes.length !== offset + keys * keyPayload) throw bad('wrong length');
    const total = 56 + 8 * tableSize + keys * pkLength;
    const blob = new Uint8Array(total);
    blob.set(pk.prefix.subarray(0, 8), 0); // magic, version, no compression
    const blobView = new DataView(blob.buffer);
    blobView.setBigUint64(8, BigInt(total), true);
    blob.set(pk.prefix.subarray(16, 48), 16); // the key level's parms_id
    blobView.setBigUint64(48, BigInt(tableSize), true);
    let at = 56;
    let next = 0;
    for (let index = 0; index < tableSize; index++) {
      const entry = entries[next]?.index === index ? entries[next++] : undefined;
      blobView.setBigUint64(at, BigInt(entry?.count ?? 0), true);
      at += 8;
      for (let k = 0; k < (entry?.count ?? 0); k++) {
        const unpacked = unpackCoefficients(pk, this.moduli, this.widths, bytes, offset, undefined, 'INVALID_KEY');
        offset = unpacked.offset;
        if (seeded) {
          if (bytes[offset] !== this.prngType) throw bad('unknown PRNG');
          writeSeed(pk, unpacked.blob, this.prngType, bytes.subarray(offset + 1, offset + 1 + SEED_LENGTH));
          offset += 1 + SEED_LENGTH;
        }
        blob.set(unpacked.blob, at);
        at += pkLength;
      }
    }
    return blob;
  }

  private rlwePayloadBytes(template: SealTemplate, primes: number, seeded: boolean): number {
    return (
      template.polys * this.degree * this.widths.slice(0, primes).reduce((a, b) => a + b, 0) +
      (seeded ? 1 + SEED_LENGTH : 0)
    );
  }

  /** @internal The parms_id of the level with `primes` RNS primes, tracked by `scope`. */
  parmsIdAt(scope: SealScope, primes: number): ParmsIdType {
    if (!Number.isInteger(primes) || primes < 1 || primes > this.dataPrimes) {
      throw new CryptoError('INVALID_ARGUMENT', 'no such level');
    }
    let data = scope.track(this.sealContext.firstContextData);
    for (let level = this.dataPrimes; level > primes; level--) data = scope.track(data.nextContextData);
    return scope.track(data.parmsId);
  }

  /** @internal The secret-key template (a plaintext layout at the key level). */
  get secretKeyLayout(): SealTemplate {
    return this.secretKeyTemplate;
  }

  /** @internal Loads an enveloped ciphertext into a SEAL object tracked by `scope`. */
  importCiphertext(scope: SealScope, bytes: Uint8Array, accept: CiphertextExpectation = {}): CipherText {
    const { blob } = this.unpackRlwe('ciphertext', bytes, 'INVALID_CIPHERTEXT', accept);
    const ct = scope.track(this.runtime.seal.CipherText());
    this.runtime.guard('INVALID_CIPHERTEXT', 'ciphertext', () => ct.loadArray(this.sealContext, blob));
    if (ct.size !== 2 || ct.isTransparent) throw new CryptoError('INVALID_CIPHERTEXT', 'ciphertext: degenerate');
    return ct;
  }

  /** @internal Full (non-seeded) wire form of a ciphertext at whatever level it is. */
  exportCiphertext(ct: CipherText): Uint8Array {
    const { runtime } = this;
    return runtime.guard('RUNTIME_FAILURE', 'export ciphertext', () => {
      const primes = ct.coeffModulusSize;
      const blob = ct.saveArray(runtime.seal.ComprModeType.none);
      return this.packRlwe('ciphertext', blob, primes, false, this.scheme === 'ckks' ? ct.scale : 1);
    });
  }

  /** @internal Seeded wire form of a fresh symmetric encryption (about half the size). */
  exportSeededCiphertext(serializable: Serializable, scale: number): Uint8Array {
    const { runtime } = this;
    return runtime.guard('RUNTIME_FAILURE', 'export seeded ciphertext', () =>
      this.packRlwe(
        'ciphertext',
        serializable.saveArray(runtime.seal.ComprModeType.none),
        this.dataPrimes,
        true,
        this.scheme === 'ckks' ? scale : 1,
      ),
    );
  }

  /** @internal Loads a public key blob (already rebuilt by unpackRlwe). */
  loadPublicKey(scope: SealScope, blob: Uint8Array): PublicKey {
    const key = scope.track(this.runtime.seal.PublicKey());
    this.runtime.guard('INVALID_KEY', 'public key', () => key.loadArray(this.sealContext, blob));
    return key;
  }

  /** @internal Loads a secret key blob (already rebuilt). */
  loadSecretKey(scope: SealScope, blob: Uint8Array): SecretKey {
    const key = scope.track(this.runtime.seal.SecretKey());
    this.runtime.guard('INVALID_KEY', 'secret key', () => key.loadArray(this.sealContext, blob));
    return key;
  }

  /** @internal A BFV plaintext with the given coefficients (each below t), tracked by `scope`. */
  bfvPlaintext(scope: SealScope, coefficients: ArrayLike<number>): PlainText {
    const template = this.plainTemplate;
    if (!template || this.plainModulus === undefined) throw new CryptoError('INVALID_ARGUMENT', 'not a BFV context');
    if (coefficients.length > this.degree) throw new CryptoError('INVALID_ARGUMENT', 'too many coefficients');
    const blob = new Uint8Array(template.prefix.length + 8 * this.degree);
    blob.set(template.prefix, 0);
    const view = new DataView(blob.buffer);
    const base = template.prefix.length;
    const t = this.plainModulus;
    for (let i = 0; i < coefficients.length; i++) {
      const c = coefficients[i];
      if (!(c >= 0 && c < t && Number.isInteger(c)))
        throw new CryptoError('INVALID_ARGUMENT', 'coefficient not in Z_t');
      view.setUint32(base + 8 * i, c, true);
    }
    const pt = scope.track(this.runtime.seal.PlainText());
    this.runtime.guard('INVALID_ARGUMENT', 'plaintext', () => pt.loadArray(this.sealContext, blob));
    return pt;
  }

  /** @internal The N coefficients of a (decrypted, non-NTT) BFV plaintext. */
  readBfvPlaintext(pt: PlainText): Uint32Array {
    const blob = this.runtime.guard('RUNTIME_FAILURE', 'read plaintext', () =>
      pt.saveArray(this.runtime.seal.ComprModeType.none),
    );
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const count = Number(view.getBigUint64(48, true));
    if (count > this.degree || blob.length !== 88 + 8 * count || Number(view.getBigUint64(80, true)) !== count) {
      throw new CryptoError('RUNTIME_FAILURE', 'unexpected plaintext layout');
    }
    const out = new Uint32Array(this.degree);
    for (let i = 0; i < count; i++) {
      if (view.getUint32(88 + 8 * i + 4, true) !== 0) throw new CryptoError('RUNTIME_FAILURE', 'plaintext overflow');
      out[i] = view.getUint32(88 + 8 * i, true);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed || this.shared) return;
    this.disposed = true;
    this.runtime.free(this.ckksEncoder);
    this.runtime.free(this.evaluator);
    this.runtime.free(this.sealContext);
  }
}
