import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import { CryptoError } from '../errors/crypto-error.js';
import { PrimeField } from '../ring/prime-field.js';
import { CryptoRng } from '../rng/crypto-rng.js';
import type { Rng } from '../rng/rng.js';
import type { HeContext } from './he-context.js';
import type { EvaluationKeyBytes, HeEvaluationKeys, HeKeyPair, HePublicKey } from './he-keys.js';
import { withSealScope, type SealScope } from './seal-scope.js';

/**
 * Small MLP heads in CKKS (as CaPC's CKKS instantiation; Choquette-Choo et al., ICLR 2021): an optional hidden
 * dense layer with the square activation x -> x^2 (CryptoNets, Gilad-Bachrach et al., ICML 2016), then a dense
 * output layer. Matrix-vector products use the diagonal method with baby-step giant-step rotations (Halevi &
 * Shoup, CRYPTO 2014 / 2018) over the slot vector, in which every vector is replicated with period P (the next
 * power of two above all dimensions), so rotations wrap correctly and layers chain without repacking.
 *
 * Unlike BFV, CKKS is approximate: the shares reconstruct round(logit * 2^f) up to a few units, and the mask
 * hides the logits statistically (see CkksShareOptions), not perfectly.
 */
export const CKKS_SCALE = 2 ** 40;

export interface CkksDenseLayer {
  readonly rows: number;
  readonly cols: number;
  /** rows x cols, row-major. */
  readonly weights: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
}

export interface CkksMlp {
  readonly inputs: number;
  /** Optional hidden layer, followed by the square activation. */
  readonly hidden?: CkksDenseLayer;
  readonly output: CkksDenseLayer;
}

/** What both sides must agree on (the model itself stays with the teacher). */
export interface CkksMlpShape {
  readonly inputs: number;
  readonly hidden?: number;
  readonly classes: number;
}

export interface CkksShareOptions {
  /** The shares are of round(logit * 2^fractionBits) in Z_p. Default 12. */
  readonly fractionBits?: number;
  /** p: the ring of the shares (default: BFV's t = 1073692673, so CKKS and BFV teachers feed the same argmax). */
  readonly modulus?: number;
  /**
   * M: the mask of each slot is u / 2^f with u uniform in [-M p, M p), so the Z_p share is exactly uniform and the
   * real value the querying party decrypts hides |logit * 2^f| up to statistical distance |logit * 2^f| / (2 M p).
   * Default 2^16 (with p ~ 2^30, f = 12: about 2^-27 for |logit| <= 2^8). Limited by double precision.
   */
  readonly maskMultiple?: number;
}

const DEFAULT_MODULUS = 1073692673;

interface ResolvedShareOptions {
  readonly fractionBits: number;
  readonly field: PrimeField;
  readonly maskMultiple: number;
}

function resolveShareOptions(options: CkksShareOptions): ResolvedShareOptions {
  const fractionBits = options.fractionBits ?? 12;
  const field = new PrimeField(options.modulus ?? DEFAULT_MODULUS);
  const maskMultiple = options.maskMultiple ?? 2 ** 16;
  if (!Number.isInteger(fractionBits) || fractionBits < 0 || fractionBits > 20) {
    throw new CryptoError('INVALID_ARGUMENT', 'CKKS shares: fractionBits must be an integer in [0, 20]');
  }
  if (!Number.isInteger(maskMultiple) || maskMultiple < 1 || Math.log2(maskMultiple * field.p) > 50) {
    throw new CryptoError('INVALID_ARGUMENT', 'CKKS shares: maskMultiple must be an integer with M p <= 2^50');
  }
  return { fractionBits, field, maskMultiple };
}

export function ckksMlpShape(model: CkksMlp): CkksMlpShape {
  return { inputs: model.inputs, hidden: model.hidden?.rows, classes: model.output.rows };
}

/** P: the replication period of every packed vector. */
export function ckksPackingWidth(shape: CkksMlpShape): number {
  const largest = Math.max(shape.inputs, shape.hidden ?? 1, shape.classes);
  return 2 ** Math.ceil(Math.log2(Math.max(2, largest)));
}

function babyGiant(width: number): { baby: number; giant: number } {
  const baby = 2 ** Math.ceil(Math.log2(Math.sqrt(width)));
  return { baby, giant: Math.ceil(width / baby) };
}

/** Rotation steps the teacher needs Galois keys for: baby steps 1..g-1 and giant steps g, 2g, ... */
export function ckksGaloisSteps(shape: CkksMlpShape): number[] {
  const { baby, giant } = babyGiant(ckksPackingWidth(shape));
  const steps: number[] = [];
  for (let b = 1; b < baby; b++) steps.push(b);
  for (let a = 1; a < giant; a++) steps.push(a * baby);
  return steps;
}

function checkShape(context: HeContext, shape: CkksMlpShape): number {
  if (context.scheme !== 'ckks') throw new CryptoError('INVALID_ARGUMENT', 'CKKS heads need a CKKS context');
  for (const n of [shape.inputs, shape.classes, shape.hidden ?? 1]) {
    if (!Number.isInteger(n) || n < 1) throw new CryptoError('INVALID_ARGUMENT', 'CKKS head: positive dimensions');
  }
  const width = ckksPackingWidth(shape);
  if (width > 256 || width > context.degree / 2) {
    throw new CryptoError('PARAMETERS_INSUFFICIENT', 'CKKS head: dimensions above 256 are not supported');
  }
  const rescalings = shape.hidden === undefined ? 1 : 3;
  if (context.dataPrimes - rescalings < 1) {
    throw new CryptoError(
      'PARAMETERS_INSUFFICIENT',
      `CKKS head: ${rescalings} rescalings need more primes (use CKKS_16384 for a hidden layer)`,
    );
  }
  return width;
}

/** The plaintext reference: the same network in doubles. */
export function ckksMlpLogits(model: CkksMlp, features: ArrayLike<number>): number[] {
  const dense = (layer: CkksDenseLayer, x: ArrayLike<number>): number[] =>
    Array.from({ length: layer.rows }, (_, i) => {
      let acc = layer.bias[i];
      for (let j = 0; j < layer.cols; j++) acc += layer.weights[i * layer.cols + j] * x[j];
      return acc;
    });
  const hidden = model.hidden ? dense(model.hidden, features).map((v) => v * v) : Array.from(features);
  return dense(model.output, hidden);
}

/** One dense layer's diagonals, pre-rotated for the giant steps and encoded at the layer's level. */
interface EncodedLayer {
  readonly diagonals: (PlainText | undefined)[];
  readonly bias: Float64Array;
}

/**
 * The teacher's side of a CKKS head: evaluates the network on an encrypted query with the querying party's
 * evaluation keys, then adds a mask encoded at the result's scale and level (every slot, replicas included) and
 * a fresh encryption of zero switched to that level (re-randomisation).
 */
export class CkksMlpTeacher {
  readonly shape: CkksMlpShape;
  readonly width: number;
  private readonly layers: EncodedLayer[];
  private readonly share: ResolvedShareOptions;
  private disposed = false;

  private constructor(
    readonly context: HeContext,
    model: CkksMlp,
    width: number,
    layers: EncodedLayer[],
    share: ResolvedShareOptions,
  ) {
    this.shape = ckksMlpShape(model);
    this.width = width;
    this.layers = layers;
    this.share = share;
  }

  static prepare(context: HeContext, model: CkksMlp, options: CkksShareOptions = {}): CkksMlpTeacher {
    const shape = ckksMlpShape(model);
    const width = checkShape(context, shape);
    const share = resolveShareOptions(options);
    const layers = model.hidden ? [model.hidden, model.output] : [model.output];
    let cols = model.inputs;
    for (const layer of layers) {
      if (layer.cols !== cols || layer.weights.length !== layer.rows * layer.cols || layer.bias.length !== layer.rows) {
        throw new CryptoError('INVALID_ARGUMENT', 'CKKS head: layer dimensions do not chain');
      }
      for (let i = 0; i < layer.weights.length; i++) {
        if (!Number.isFinite(layer.weights[i])) throw new CryptoError('INVALID_ARGUMENT', 'CKKS head: weights');
      }
      cols = layer.rows;
    }
    // Levels (in RNS primes) at which each layer's diagonals are used: the first data level, then two lower.
    const levels = model.hidden ? [context.dataPrimes, context.dataPrimes - 2] : [context.dataPrimes];
    const encoded: EncodedLayer[] = [];
    try {
      layers.forEach((layer, index) => encoded.push(encodeLayer(context, layer, width, levels[index])));
    } catch (e) {
      for (const layer of encoded) for (const d of layer.diagonals) context.runtime.free(d);
      throw e;
    }
    return new CkksMlpTeacher(context, model, width, encoded, share);
  }

  /** Answers one encrypted query. Returns the response and the teacher's share of round(logit * 2^f) mod p. */
  evaluate(
    query: Uint8Array,
    evaluationKeys: HeEvaluationKeys,
    publicKey: HePublicKey,
    rng: Rng = new CryptoRng(),
  ): { response: Uint8Array; share: Uint32Array } {
    if (this.disposed) throw new CryptoError('DISPOSED', 'this teacher head was disposed');
    const { context } = this;
    if (evaluationKeys.context.id !== context.id || publicKey.context.id !== context.id) {
      throw new CryptoError('CONTEXT_MISMATCH', 'keys of other HE parameters');
    }
    evaluationKeys.assertUsable();
    const galois = evaluationKeys.galoisKeys;
    if (!galois) throw new CryptoError('INVALID_KEY', 'CKKS head: Galois keys are required');
    if (this.shape.hidden !== undefined && !evaluationKeys.relinKeys) {
      throw new CryptoError('INVALID_KEY', 'CKKS head: relinearisation keys are required');
    }
    const { runtime } = context;
    const evaluator = context.evaluator;
    const slots = context.degree / 2;
    return withSealScope(runtime, (scope) => {
      const ct = context.importCiphertext(scope, query, { primes: [context.dataPrimes], seeded: true });
      if (ct.scale !== CKKS_SCALE) throw new CryptoError('INVALID_CIPHERTEXT', 'CKKS query: unexpected scale');
      return runtime.guard('INVALID_KEY', 'CKKS evaluate', () => {
        let x = this.matVec(scope, ct, this.layers[0], galois);
        if (this.shape.hidden !== undefined) {
          x = scope.track(evaluator.square(x) as CipherText);
          evaluator.relinearize(x, evaluationKeys.relinKeys!, x);
          x = scope.track(evaluator.rescaleToNext(x) as CipherText);
          x = this.matVec(scope, x, this.layers[1], galois);
        }
        // The mask: u / 2^f in every slot with u uniform in [-M p, M p); the teacher keeps -u mod p for the logits.
        const { field, fractionBits, maskMultiple } = this.share;
        const range = 2 * maskMultiple * field.p;
        const values = new Float64Array(slots);
        const share = new Uint32Array(this.shape.classes);
        for (let j = 0; j < slots; j++) {
          const u = randomBelowLarge(rng, range) - maskMultiple * field.p;
          values[j] = u / 2 ** fractionBits;
          if (j < this.shape.classes) share[j] = field.neg(field.fromSigned(u));
        }
        const mask = this.encodeAt(scope, values, x);
        values.fill(0);
        evaluator.addPlain(x, mask, x);
        const zero = scope.track(publicKey.encryptor.encryptZero() as CipherText);
        const parms = scope.track(x.parmsId);
        const switched = scope.track(evaluator.cipherModSwitchTo(zero, parms) as CipherText);
        switched.setScale(x.scale);
        evaluator.add(x, switched, x);
        return { response: context.exportCiphertext(x), share };
      });
    });
  }

  /** Diagonal method with baby-step giant-step rotations, then rescaling and the bias. */
  private matVec(
    scope: SealScope,
    ct: CipherText,
    layer: EncodedLayer,
    galois: HeEvaluationKeys['galoisKeys'],
  ): CipherText {
    const evaluator = this.context.evaluator;
    const { baby, giant } = babyGiant(this.width);
    const babies: CipherText[] = [ct];
    for (let b = 1; b < baby; b++) babies.push(scope.track(evaluator.rotateVector(ct, b, galois!) as CipherText));
    let result: CipherText | undefined;
    for (let a = 0; a < giant; a++) {
      let inner: CipherText | undefined;
      for (let b = 0; b < baby; b++) {
        const diagonal = layer.diagonals[a * baby + b];
        if (!diagonal) continue;
        const product = scope.track(evaluator.multiplyPlain(babies[b], diagonal) as CipherText);
        if (inner) evaluator.add(inner, product, inner);
        else inner = product;
      }
      if (!inner) continue;
      if (a > 0) inner = scope.track(evaluator.rotateVector(inner, a * baby, galois!) as CipherText);
      if (result) evaluator.add(result, inner, result);
      else result = inner;
    }
    if (!result) throw new CryptoError('INVALID_ARGUMENT', 'CKKS head: a layer has only zero weights');
    const rescaled = scope.track(evaluator.rescaleToNext(result) as CipherText);
    evaluator.addPlain(
      rescaled,
      this.encodeAt(scope, replicate(layer.bias, this.width, this.context.degree / 2), rescaled),
      rescaled,
    );
    return rescaled;
  }

  /** Encodes values at a ciphertext's exact scale and level (SEAL requires both to match for additions). */
  private encodeAt(scope: SealScope, values: Float64Array, like: CipherText): PlainText {
    const { context } = this;
    const plain = scope.track(context.ckksEncoder!.encode(values, like.scale) as PlainText);
    const parms = scope.track(like.parmsId);
    context.evaluator.plainModSwitchTo(plain, parms, plain);
    return plain;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const layer of this.layers) for (const d of layer.diagonals) this.context.runtime.free(d);
  }
}

/** Uniform integer in [0, range) for range <= 2^51 (two words, rejection). */
function randomBelowLarge(rng: Rng, range: number): number {
  const limit = 2 ** 52 - (2 ** 52 % range);
  for (;;) {
    const value = (rng.nextUint32() % 2 ** 20) * 2 ** 32 + rng.nextUint32();
    if (value < limit) return value % range;
  }
}

/** A vector of length `period` repeated over all slots (zero-padded within each period). */
function replicate(values: ArrayLike<number>, period: number, slots: number): Float64Array {
  const out = new Float64Array(slots);
  for (let j = 0; j < slots; j++) {
    const k = j % period;
    out[j] = k < values.length ? values[k] : 0;
  }
  return out;
}

function encodeLayer(context: HeContext, layer: CkksDenseLayer, width: number, primes: number): EncodedLayer {
  const slots = context.degree / 2;
  const { baby, giant } = babyGiant(width);
  const diagonals: (PlainText | undefined)[] = new Array(baby * giant).fill(undefined);
  const { runtime } = context;
  withSealScope(runtime, (scope) => {
    const parms = context.parmsIdAt(scope, primes);
    for (let a = 0; a < giant; a++) {
      for (let b = 0; b < baby; b++) {
        const i = a * baby + b;
        if (i >= width) continue;
        // diag_i[j] = W[j mod P][(j + i) mod P], pre-rotated right by a * g for the giant step.
        const values = new Float64Array(slots);
        let nonZero = false;
        for (let j = 0; j < slots; j++) {
          const source = (((j - a * baby) % slots) + slots) % slots;
          const row = source % width;
          const col = (source + i) % width;
          const w = row < layer.rows && col < layer.cols ? layer.weights[row * layer.cols + col] : 0;
          values[j] = w;
          if (w !== 0) nonZero = true;
        }
        if (!nonZero) continue;
        const plain = runtime.guard('INVALID_ARGUMENT', 'encode', () => {
          const p = scope.track(context.ckksEncoder!.encode(values, CKKS_SCALE) as PlainText);
          context.evaluator.plainModSwitchTo(p, parms, p);
          return p;
        });
        diagonals[i] = scope.keep(plain);
      }
    }
  });
  return { diagonals, bias: Float64Array.from(layer.bias) };
}

/** The querying party's side of a CKKS head. */
export class CkksMlpClient {
  readonly width: number;
  private readonly share: ResolvedShareOptions;

  constructor(
    readonly keys: HeKeyPair,
    readonly shape: CkksMlpShape,
    options: CkksShareOptions = {},
  ) {
    this.width = checkShape(keys.context, shape);
    this.share = resolveShareOptions(options);
  }

  /** The evaluation keys a teacher needs for this shape (Galois keys for the rotations; relinearisation keys). */
  evaluationKeys(): EvaluationKeyBytes {
    return this.keys.exportEvaluationKeys({
      relinKeys: this.shape.hidden !== undefined,
      galoisSteps: ckksGaloisSteps(this.shape),
    });
  }

  /** Encrypts real features (replicated over the slots), seeded symmetric encryption at scale 2^40. */
  encryptQuery(features: ArrayLike<number>): Uint8Array {
    if (features.length !== this.shape.inputs) {
      throw new CryptoError('INVALID_ARGUMENT', `query: expected ${this.shape.inputs} features`);
    }
    for (let j = 0; j < features.length; j++) {
      if (!Number.isFinite(features[j])) throw new CryptoError('INVALID_ARGUMENT', 'query: non-finite feature');
    }
    const { context } = this.keys;
    const { runtime } = context;
    return withSealScope(runtime, (scope) =>
      runtime.guard('RUNTIME_FAILURE', 'encrypt', () => {
        const values = replicate(features, this.width, context.degree / 2);
        const plain = scope.track(context.ckksEncoder!.encode(values, CKKS_SCALE) as PlainText);
        values.fill(0);
        const serializable = scope.track(this.keys.encryptor.encryptSymmetricSerializable(plain));
        return context.exportSeededCiphertext(serializable, CKKS_SCALE);
      }),
    );
  }

  /** Decrypts a response: the querying party's share of round(logit * 2^f) mod p. */
  decryptShare(response: Uint8Array): Uint32Array {
    const { context } = this.keys;
    const { runtime } = context;
    const { field, fractionBits } = this.share;
    return withSealScope(runtime, (scope) => {
      const ct = context.importCiphertext(scope, response);
      const values = runtime.guard('INVALID_CIPHERTEXT', 'decrypt', () => {
        const plain = scope.track(this.keys.decryptor.decrypt(ct) as PlainText);
        return context.ckksEncoder!.decode(plain);
      });
      const share = Uint32Array.from({ length: this.shape.classes }, (_, j) => {
        const scaled = Math.round(values[j] * 2 ** fractionBits);
        if (!Number.isSafeInteger(scaled)) throw new CryptoError('INVALID_CIPHERTEXT', 'CKKS response out of range');
        return field.fromSigned(scaled);
      });
      values.fill(0);
      return share;
    });
  }
}
