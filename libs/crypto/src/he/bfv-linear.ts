import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import { CryptoError } from '../errors/crypto-error.js';
import { PrimeField } from '../ring/prime-field.js';
import { CryptoRng } from '../rng/crypto-rng.js';
import type { Rng } from '../rng/rng.js';
import type { HeContext } from './he-context.js';
import type { HeKeyPair, HePublicKey } from './he-keys.js';
import { addFloodingNoise, floodingBits, freshNoiseBound } from './noise-flooding.js';
import { withSealScope } from './seal-scope.js';

/**
 * Encrypted linear heads with BFV coefficient encoding (the CaPC protocol, Choquette-Choo et al., ICLR 2021, with
 * a linear model): the querying party encrypts its quantized feature vector x as the polynomial
 * X(z) = sum_j x_j z^j; the teacher multiplies once by its weight polynomial
 * P(z) = sum_i sum_j W_ij z^(i d + d - 1 - j) (each row reversed), so that coefficient i d + d - 1 of X P is
 * exactly sum_j W_ij x_j = (W x)_i. Degrees stay below N ((k + 1) d <= N + 1), so nothing wraps around. No
 * rotations, no Galois or relinearisation keys.
 */
export interface LinearHeadShape {
  /** d: length of the feature vector. */
  readonly features: number;
  /** k: number of classes (logits). */
  readonly classes: number;
}

/** A linear head in fixed point: integer weights (k x d, row-major), integer bias, and the feature bound. */
export interface QuantizedLinearHead extends LinearHeadShape {
  readonly weights: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  /** Every quantized feature satisfies |x_j| <= maxAbsFeature (the querying party clamps to it). */
  readonly maxAbsFeature: number;
}

/**
 * Coefficient of the product polynomial that holds logit i (of the query in `slot`, when a ciphertext packs several
 * queries `stride` coefficients apart; see queryStride).
 */
export function logitCoefficient(shape: LinearHeadShape, i: number, slot = 0, stride = 0): number {
  return slot * stride + i * shape.features + shape.features - 1;
}

/**
 * Several queries in one ciphertext: query s is encoded from coefficient s * S on, S = floor(N / Q) for Q queries per
 * ciphertext. Query s's part of the product X P spans coefficients [s S, s S + (k + 1) d - 2], so the Q blocks are
 * disjoint (nothing wraps around) while (k + 1) d - 1 <= S; Q = 1 gives back the single-query condition
 * (k + 1) d <= N + 1. One product, one mask and one response then answer Q queries.
 */
export function queryStride(degree: number, queriesPerCiphertext: number): number {
  return Math.floor(degree / queriesPerCiphertext);
}

/** The most queries one ciphertext can pack for this head shape (0 when not even one fits). */
export function maxQueriesPerCiphertext(degree: number, shape: LinearHeadShape): number {
  return Math.floor(degree / ((shape.classes + 1) * shape.features - 1));
}

function checkShape(degree: number, shape: LinearHeadShape, queriesPerCiphertext = 1): void {
  const { features: d, classes: k } = shape;
  if (!Number.isInteger(d) || !Number.isInteger(k) || d < 1 || k < 1) {
    throw new CryptoError('INVALID_ARGUMENT', 'linear head: features and classes must be positive integers');
  }
  if (!Number.isInteger(queriesPerCiphertext) || queriesPerCiphertext < 1 || queriesPerCiphertext > degree) {
    throw new CryptoError('INVALID_ARGUMENT', 'queriesPerCiphertext must be a positive integer');
  }
  if ((k + 1) * d - 1 > queryStride(degree, queriesPerCiphertext)) {
    throw new CryptoError(
      'PARAMETERS_INSUFFICIENT',
      queriesPerCiphertext === 1
        ? `linear head: (classes + 1) * features must be <= ${degree + 1}`
        : `linear head: ${queriesPerCiphertext} queries per ciphertext need (classes + 1) * features - 1 <= ${queryStride(degree, queriesPerCiphertext)}`,
    );
  }
}

/** Largest |logit| the head can produce on admissible features. */
export function maxAbsLogit(head: QuantizedLinearHead): number {
  let max = 0;
  for (let i = 0; i < head.classes; i++) {
    let row = Math.abs(head.bias[i]);
    for (let j = 0; j < head.features; j++) row += Math.abs(head.weights[i * head.features + j]) * head.maxAbsFeature;
    max = Math.max(max, row);
  }
  return max;
}

/** The plaintext reference: W x + b over the integers. */
export function linearLogits(head: QuantizedLinearHead, features: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < head.classes; i++) {
    let acc = head.bias[i];
    for (let j = 0; j < head.features; j++) acc += head.weights[i * head.features + j] * features[j];
    out.push(acc);
  }
  return out;
}

/** Rounds real values to fixed point (value * scale), clamping to [-maxAbs, maxAbs]. */
export function quantize(values: ArrayLike<number>, scale: number, maxAbs: number): Int32Array {
  if (!(scale > 0) || !Number.isInteger(maxAbs) || maxAbs < 0 || maxAbs > 2 ** 31 - 1) {
    throw new CryptoError('INVALID_ARGUMENT', 'quantize: scale must be > 0 and maxAbs an integer below 2^31');
  }
  return Int32Array.from({ length: values.length }, (_, i) => {
    const v = values[i];
    if (!Number.isFinite(v)) throw new CryptoError('INVALID_ARGUMENT', 'quantize: non-finite value');
    return Math.max(-maxAbs, Math.min(maxAbs, Math.round(v * scale)));
  });
}

export interface BfvTeacherOptions {
  /**
   * Statistical security (bits) of the noise flooding that hides the teacher's weights from the key holder, who
   * could otherwise read W off the noise of the response (circuit privacy, semi-honest querying party).
   * Default 40; 0 disables flooding (only for parameters too small for it, e.g. BFV_4096 — see README).
   */
  readonly floodingSecurityBits?: number;
  /** Queries packed into each query ciphertext (default 1; see queryStride). The querying party must use the same. */
  readonly queriesPerCiphertext?: number;
}

export interface BfvTeacherResponse {
  /** Enc(W x + b + r): goes to the querying party, whose decryption is its share. */
  readonly response: Uint8Array;
  /**
   * -r at the logit positions (mod t): the teacher's additive share of the logits; with several queries per
   * ciphertext, query-major (query s's k logits at [s k, (s + 1) k)).
   */
  readonly share: Uint32Array;
}

/**
 * The teacher's side: holds the weight polynomial and answers encrypted queries with one ciphertext x plaintext
 * product plus a fresh public-key encryption of a uniformly random mask r over all N coefficients. Adding a
 * fresh encryption of r is adding the plaintext r and a fresh encryption of zero: the querying party's
 * decryption — the logits and the cross terms around them — is uniformly random (perfect hiding), and the
 * response is re-randomised (unlinkable to the query ciphertext). The flooding noise in that encryption hides W
 * from the noise; a modulus switch to the smallest level that still decrypts shrinks the response.
 */
export class BfvLinearTeacher {
  readonly shape: LinearHeadShape;
  /** b: flooding noise is uniform in [-2^b, 2^b); undefined when flooding is off. */
  readonly floodingBits: number | undefined;
  /** RNS primes kept in responses. */
  readonly responsePrimes: number;
  /** Queries packed into each query ciphertext (and so answered by each response). */
  readonly queriesPerCiphertext: number;
  private readonly field: PrimeField;
  private readonly logitPositions: number[];
  private readonly bias: Uint32Array;
  private disposed = false;

  private constructor(
    readonly context: HeContext,
    head: QuantizedLinearHead,
    private readonly weights: PlainText,
    flooding: number | undefined,
    responsePrimes: number,
    queriesPerCiphertext: number,
  ) {
    this.shape = { features: head.features, classes: head.classes };
    this.field = new PrimeField(context.plainModulus!);
    this.floodingBits = flooding;
    this.responsePrimes = responsePrimes;
    this.queriesPerCiphertext = queriesPerCiphertext;
    const stride = queryStride(context.degree, queriesPerCiphertext);
    const k = head.classes;
    this.logitPositions = Array.from({ length: queriesPerCiphertext * k }, (_, j) =>
      logitCoefficient(head, j % k, Math.floor(j / k), stride),
    );
    const bias = Uint32Array.from({ length: k }, (_, i) => this.field.fromSigned(head.bias[i]));
    this.bias = Uint32Array.from({ length: queriesPerCiphertext * k }, (_, j) => bias[j % k]!);
  }

  /** Encodes the head once; checks that logits fit (|W x + b| < t / 4) and the noise budget (exact decryption). */
  static prepare(context: HeContext, head: QuantizedLinearHead, options: BfvTeacherOptions = {}): BfvLinearTeacher {
    if (context.scheme !== 'bfv' || context.plainModulus === undefined) {
      throw new CryptoError('INVALID_ARGUMENT', 'BFV linear heads need a BFV context');
    }
    const N = context.degree;
    const queriesPerCiphertext = options.queriesPerCiphertext ?? 1;
    checkShape(N, head, queriesPerCiphertext);
    const { features: d, classes: k } = head;
    const t = context.plainModulus;
    if (head.weights.length !== k * d || head.bias.length !== k) {
      throw new CryptoError('INVALID_ARGUMENT', 'linear head: weights must be k x d and bias k long');
    }
    let l1 = 0;
    for (let i = 0; i < k * d; i++) {
      const w = head.weights[i];
      if (!Number.isSafeInteger(w)) throw new CryptoError('INVALID_ARGUMENT', 'linear head: weights must be integers');
      l1 += Math.abs(w);
    }
    for (let i = 0; i < k; i++) {
      if (!Number.isSafeInteger(head.bias[i])) throw new CryptoError('INVALID_ARGUMENT', 'linear head: integer bias');
    }
    if (!Number.isSafeInteger(head.maxAbsFeature) || head.maxAbsFeature < 0) {
      throw new CryptoError('INVALID_ARGUMENT', 'linear head: maxAbsFeature must be a non-negative integer');
    }
    // |logit| < t / 4 keeps the centred reconstruction exact and every pairwise difference below t / 2, as the
    // secure argmax requires.
    if (maxAbsLogit(head) >= t / 4) {
      throw new CryptoError('PARAMETERS_INSUFFICIENT', 'linear head: logits can reach t / 4; quantize more coarsely');
    }

    // Worst-case noise: fresh query noise times ||W||_1, the mask's rounding, the re-randomising encryption. Per
    // coefficient, so packing queries (disjoint blocks of the product) does not change it.
    const fresh = freshNoiseBound(N);
    const evaluated = fresh * (Math.max(l1, 1) + 1) + 1;
    const lambda = options.floodingSecurityBits ?? 40;
    if (!Number.isInteger(lambda) || lambda < 0 || lambda > 128) {
      throw new CryptoError('INVALID_ARGUMENT', 'floodingSecurityBits must be an integer in [0, 128]');
    }
    const bits = lambda === 0 ? undefined : floodingBits(N, evaluated, lambda);
    const total = evaluated + (bits === undefined ? 0 : 2 ** bits);
    const log2 = (primes: readonly bigint[]): number => primes.reduce((s, q) => s + Math.log2(Number(q)), 0);
    const dataLog2Q = log2(context.moduliAt(context.dataPrimes));
    // Decryption is exact while |noise| < q / (2t); keep a factor 2 of margin: |noise| <= q / (4t).
    const budget = (logQ: number): number => logQ - Math.log2(t) - 2;
    if (Math.log2(total) >= budget(dataLog2Q)) {
      throw new CryptoError(
        'PARAMETERS_INSUFFICIENT',
        bits === undefined
          ? 'linear head: the noise exceeds the budget of these parameters'
          : 'linear head: no room for noise flooding in these parameters (use BFV_8192, or floodingSecurityBits: 0)',
      );
    }
    // Smallest level that still decrypts after modulus switching: the noise scales by q'/q, and each switch adds
    // at most (1 + ||s||_1) / 2 <= (N + 1) / 2 of rounding noise.
    let responsePrimes = context.dataPrimes;
    for (let primes = 1; primes < context.dataPrimes; primes++) {
      const logQ = log2(context.moduliAt(primes));
      const switched = total * 2 ** (logQ - dataLog2Q) + ((context.dataPrimes - primes) * (N + 1)) / 2;
      if (Math.log2(switched) < budget(logQ)) {
        responsePrimes = primes;
        break;
      }
    }

    const coefficients = new Uint32Array(N);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < d; j++) {
        const w = head.weights[i * d + j];
        coefficients[i * d + d - 1 - j] = w < 0 ? w + t : w;
      }
    }
    const { runtime } = context;
    const weights = withSealScope(runtime, (scope) => scope.keep(context.bfvPlaintext(scope, coefficients)));
    coefficients.fill(0);
    return new BfvLinearTeacher(context, head, weights, bits, responsePrimes, queriesPerCiphertext);
  }

  /**
   * Everything of a response that does not depend on the query, for one query: a uniform mask r over all N
   * coefficients (plus the bias at the logit positions), encrypted under the querying party's public key — a
   * fresh encryption, so adding it also re-randomises the response — with the flooding noise added to it.
   * Precompute these while idle to take the public-key encryption off the query path. Single use.
   */
  createResponseMask(publicKey: HePublicKey, rng: Rng = new CryptoRng()): BfvResponseMask {
    this.assertUsable(publicKey);
    const { context } = this;
    const { runtime } = context;
    const { seal } = runtime;
    const N = context.degree;
    const field = this.field;
    const mask = field.randomVector(N, rng);
    const share = new Uint32Array(this.logitPositions.length);
    this.logitPositions.forEach((position, i) => {
      share[i] = field.neg(mask[position]);
      mask[position] = field.add(mask[position], this.bias[i]);
    });
    const ciphertext = withSealScope(runtime, (scope) => {
      const plain = context.bfvPlaintext(scope, mask);
      mask.fill(0);
      return runtime.guard('RUNTIME_FAILURE', 'response mask', () => {
        const fresh = scope.track(publicKey.encryptor.encrypt(plain) as CipherText);
        if (this.floodingBits === undefined) return scope.keep(fresh);
        const blob = fresh.saveArray(seal.ComprModeType.none);
        const dataOffset = blob.length - 2 * context.dataPrimes * N * 8;
        addFloodingNoise(blob, dataOffset, N, context.moduliAt(context.dataPrimes), this.floodingBits, rng);
        const flooded = scope.track(seal.CipherText());
        flooded.loadArray(context.sealContext, blob);
        blob.fill(0);
        return scope.keep(flooded);
      });
    });
    return new BfvResponseMask(this, publicKey, ciphertext, share);
  }

  /**
   * Answers one encrypted query (or `queriesPerCiphertext` packed queries): Enc(W x) + Enc(r + b) (+ flooding),
   * switched down to `responsePrimes`. Returns the response for the querying party and the teacher's share -r. The
   * query must be a fresh encryption at the first data level (full or seeded form). Uses `options.mask` if given
   * (see createResponseMask).
   */
  evaluate(
    query: Uint8Array,
    publicKey: HePublicKey,
    options: { rng?: Rng; mask?: BfvResponseMask } = {},
  ): BfvTeacherResponse {
    this.assertUsable(publicKey);
    const mask = options.mask ?? this.createResponseMask(publicKey, options.rng);
    const { ciphertext: maskCiphertext, share } = mask.consume(this, publicKey);
    const { context } = this;
    const { runtime } = context;
    try {
      return withSealScope(runtime, (scope) => {
        const ct = context.importCiphertext(scope, query, { primes: [context.dataPrimes], seeded: true });
        return runtime.guard('INVALID_CIPHERTEXT', 'evaluate', () => {
          const product = scope.track(context.evaluator.multiplyPlain(ct, this.weights) as CipherText);
          context.evaluator.add(product, maskCiphertext, product);
          let out = product;
          for (let primes = context.dataPrimes; primes > this.responsePrimes; primes--) {
            out = scope.track(context.evaluator.cipherModSwitchToNext(out) as CipherText);
          }
          return { response: context.exportCiphertext(out), share };
        });
      });
    } finally {
      runtime.free(maskCiphertext);
    }
  }

  private assertUsable(publicKey: HePublicKey): void {
    if (this.disposed) throw new CryptoError('DISPOSED', 'this teacher head was disposed');
    if (publicKey.context.id !== this.context.id) {
      throw new CryptoError('CONTEXT_MISMATCH', 'the public key belongs to other HE parameters');
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.runtime.free(this.weights);
  }
}

/**
 * One precomputed response mask of a teacher (see BfvLinearTeacher.createResponseMask): usable for exactly one
 * query under one public key; a second use is refused (CORRELATION_REUSED), since two responses under one mask
 * would reveal the difference of two logit vectors to the querying party. Dispose unused masks.
 */
export class BfvResponseMask {
  private ciphertext: CipherText | undefined;

  /** @internal */
  constructor(
    private readonly teacher: BfvLinearTeacher,
    private readonly publicKey: HePublicKey,
    ciphertext: CipherText,
    private readonly share: Uint32Array,
  ) {
    this.ciphertext = ciphertext;
  }

  get used(): boolean {
    return this.ciphertext === undefined;
  }

  /** @internal Hands the ciphertext (now owned by the caller) and the teacher's share over, once. */
  consume(teacher: BfvLinearTeacher, publicKey: HePublicKey): { ciphertext: CipherText; share: Uint32Array } {
    if (!this.ciphertext) throw new CryptoError('CORRELATION_REUSED', 'this response mask was already used');
    if (teacher !== this.teacher || publicKey !== this.publicKey) {
      throw new CryptoError('INVALID_ARGUMENT', 'this response mask belongs to another teacher head or public key');
    }
    const ciphertext = this.ciphertext;
    this.ciphertext = undefined;
    return { ciphertext, share: this.share.slice() };
  }

  dispose(): void {
    if (!this.ciphertext) return;
    this.teacher.context.runtime.free(this.ciphertext);
    this.ciphertext = undefined;
    this.share.fill(0);
  }
}

/** The querying party's side: encrypts feature vectors and turns responses into its shares of the logits. */
export class BfvLinearClient {
  private readonly field: PrimeField;
  /** Queries packed into each ciphertext (the teachers must be prepared with the same; see queryStride). */
  readonly queriesPerCiphertext: number;
  private readonly stride: number;

  constructor(
    readonly keys: HeKeyPair,
    readonly shape: LinearHeadShape,
    /** Quantized features are clamped to [-maxAbsFeature, maxAbsFeature]; must match the teachers' bound. */
    readonly maxAbsFeature: number,
    options: { queriesPerCiphertext?: number } = {},
  ) {
    const { context } = keys;
    if (context.scheme !== 'bfv' || context.plainModulus === undefined) {
      throw new CryptoError('INVALID_ARGUMENT', 'BFV linear heads need a BFV context');
    }
    this.queriesPerCiphertext = options.queriesPerCiphertext ?? 1;
    checkShape(context.degree, shape, this.queriesPerCiphertext);
    this.stride = queryStride(context.degree, this.queriesPerCiphertext);
    this.field = new PrimeField(context.plainModulus);
  }

  /** Encrypts integer features (seeded symmetric encryption, about half the size of a full ciphertext). */
  encryptQuery(features: ArrayLike<number>): Uint8Array {
    return this.encryptQueries([features]);
  }

  /**
   * Encrypts 1 to queriesPerCiphertext queries into one ciphertext, query s from coefficient s * stride on (unused
   * slots are zero and answer logits b).
   */
  encryptQueries(queries: ReadonlyArray<ArrayLike<number>>): Uint8Array {
    const { context } = this.keys;
    if (queries.length < 1 || queries.length > this.queriesPerCiphertext) {
      throw new CryptoError('INVALID_ARGUMENT', `query: 1 to ${this.queriesPerCiphertext} queries per ciphertext`);
    }
    const coefficients = new Uint32Array(
      queries.length === 1 ? this.shape.features : (queries.length - 1) * this.stride + this.shape.features,
    );
    for (const [s, features] of queries.entries()) {
      if (features.length !== this.shape.features) {
        throw new CryptoError('INVALID_ARGUMENT', `query: expected ${this.shape.features} features`);
      }
      for (let j = 0; j < features.length; j++) {
        const x = features[j];
        if (!Number.isSafeInteger(x)) {
          coefficients.fill(0);
          throw new CryptoError('INVALID_ARGUMENT', 'query: features must be integers');
        }
        coefficients[s * this.stride + j] = this.field.fromSigned(
          Math.max(-this.maxAbsFeature, Math.min(this.maxAbsFeature, x)),
        );
      }
    }
    const { runtime } = context;
    return withSealScope(runtime, (scope) => {
      const plain = context.bfvPlaintext(scope, coefficients);
      coefficients.fill(0);
      return runtime.guard('RUNTIME_FAILURE', 'encrypt', () => {
        const serializable = scope.track(this.keys.encryptor.encryptSymmetricSerializable(plain));
        return context.exportSeededCiphertext(serializable, 1);
      });
    });
  }

  /**
   * Decrypts a teacher's response: the querying party's share (mod t) of each logit; with several queries per
   * ciphertext, query-major (queriesPerCiphertext × classes).
   */
  decryptShare(response: Uint8Array): Uint32Array {
    const { context } = this.keys;
    const { runtime } = context;
    return withSealScope(runtime, (scope) => {
      const ct = context.importCiphertext(scope, response);
      const plain = runtime.guard('INVALID_CIPHERTEXT', 'decrypt', () =>
        scope.track(this.keys.decryptor.decrypt(ct) as PlainText),
      );
      const coefficients = context.readBfvPlaintext(plain);
      const k = this.shape.classes;
      const share = Uint32Array.from(
        { length: this.queriesPerCiphertext * k },
        (_, j) => coefficients[logitCoefficient(this.shape, j % k, Math.floor(j / k), this.stride)],
      );
      coefficients.fill(0);
      return share;
    });
  }
}

/**
 * Spreads one packed response's share (either party's: slot-major, each slot `groupSize` stacked heads of `classes`
 * logits) into per-(query, partition) share vectors, query-major and partition-minor as the argmax instances are
 * ordered: slot s of the ciphertext is query `firstQuery + s` (slots from `count` on are empty and skipped), the
 * group's partitions start at `firstPartition` of `partitions`. Zeroes `share` afterwards.
 */
export function scatterPackedShare(
  share: Uint32Array,
  into: Uint32Array[],
  layout: {
    firstQuery: number;
    count: number;
    queriesPerCiphertext: number;
    groupSize: number;
    firstPartition: number;
    partitions: number;
    classes: number;
  },
): void {
  const { firstQuery, count, queriesPerCiphertext, groupSize, firstPartition, partitions, classes } = layout;
  for (let slot = 0; slot < queriesPerCiphertext && firstQuery + slot < count; slot++) {
    for (let p = 0; p < groupSize; p++) {
      const at = (slot * groupSize + p) * classes;
      into[(firstQuery + slot) * partitions + firstPartition + p] = share.slice(at, at + classes);
    }
  }
  share.fill(0);
}

/** Adds the two parties' shares and returns the logits in the centred representation (exact when |logit| < t / 2). */
export function reconstructLogits(modulus: number, first: ArrayLike<number>, second: ArrayLike<number>): number[] {
  const field = new PrimeField(modulus);
  if (first.length !== second.length) throw new CryptoError('INVALID_ARGUMENT', 'share lengths differ');
  return Array.from({ length: first.length }, (_, i) => field.toSigned(field.add(first[i], second[i])));
}
