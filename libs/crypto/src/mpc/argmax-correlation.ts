import { CryptoError } from '../errors/crypto-error.js';
import { PrimeField } from '../ring/prime-field.js';
import { CryptoRng } from '../rng/crypto-rng.js';
import type { Rng } from '../rng/rng.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { argmaxPlan, type ArgmaxPlan } from './argmax-plan.js';

const MAGIC = [0x43, 0x4e, 0x44, 0x4c]; // "CNDL"
const VERSION = 1;
const HEADER_BYTES = 32;
const ID_BYTES = 16;
const SEED_BYTES = 32;
const SEED_DOMAIN = 'conclave/argmax-correlation/party0/v1:';

export type PartyIndex = 0 | 1;

/** One party's share of the correlated randomness of one argmax (a Beaver-triple bundle plus shared masks). */
export interface ArgmaxCorrelationData {
  /** 32 hex digits, the same for both parties' halves; consumed once (see CorrelationLedger). */
  readonly id: string;
  readonly party: PartyIndex;
  readonly field: PrimeField;
  readonly plan: ArgmaxPlan;
  /** Shares of a uniform r in Z_p per compared pair. */
  readonly masks: Uint32Array;
  /** Shares of the bits of each r (pair-major, least significant bit first). */
  readonly maskBits: Uint32Array;
  /** Shares of Beaver triples (a, b, c = a * b), consumed in order. */
  readonly tripleA: Uint32Array;
  readonly tripleB: Uint32Array;
  readonly tripleC: Uint32Array;
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * One party's half of the dealer's output for one argmax. Party 0's half is generated from a 32-byte seed and
 * serialises as that seed (about 60 bytes on the wire); party 1's half carries the explicit values that make the
 * sums right. Either half alone is uniformly random and independent of the other party's inputs.
 */
export class ArgmaxCorrelation implements ArgmaxCorrelationData {
  private consumed = false;

  private constructor(
    readonly id: string,
    readonly party: PartyIndex,
    readonly field: PrimeField,
    readonly plan: ArgmaxPlan,
    readonly masks: Uint32Array,
    readonly maskBits: Uint32Array,
    readonly tripleA: Uint32Array,
    readonly tripleB: Uint32Array,
    readonly tripleC: Uint32Array,
    private readonly seed: Uint8Array | undefined,
  ) {}

  /** Party 0's half, expanded from its seed. */
  static fromSeed(id: string, field: PrimeField, plan: ArgmaxPlan, seed: Uint8Array): ArgmaxCorrelation {
    const rng = new SeededRng(concat(new TextEncoder().encode(SEED_DOMAIN + id), seed));
    const pairs = plan.pairs.length;
    return new ArgmaxCorrelation(
      id,
      0,
      field,
      plan,
      field.randomVector(pairs, rng),
      field.randomVector(pairs * plan.bitLength, rng),
      field.randomVector(plan.tripleCount, rng),
      field.randomVector(plan.tripleCount, rng),
      field.randomVector(plan.tripleCount, rng),
      seed.slice(),
    );
  }

  /** Party 1's half (or any half given explicitly). */
  static fromValues(data: ArgmaxCorrelationData): ArgmaxCorrelation {
    return new ArgmaxCorrelation(
      data.id,
      data.party,
      data.field,
      data.plan,
      data.masks,
      data.maskBits,
      data.tripleA,
      data.tripleB,
      data.tripleC,
      undefined,
    );
  }

  /** Marks this half as used; a second call throws CORRELATION_REUSED (the ledger catches copies). */
  markConsumed(): void {
    if (this.consumed) throw new CryptoError('CORRELATION_REUSED', 'this correlated randomness was already used');
    this.consumed = true;
  }

  get isConsumed(): boolean {
    return this.consumed;
  }

  /** Wire form: a 32-byte header, then the seed (party 0) or the explicit values as little-endian u32. */
  serialize(): Uint8Array {
    const arrays = this.seed ? [] : [this.masks, this.maskBits, this.tripleA, this.tripleB, this.tripleC];
    const words = arrays.reduce((n, a) => n + a.length, 0);
    const out = new Uint8Array(HEADER_BYTES + (this.seed ? SEED_BYTES : 4 * words));
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    out[4] = VERSION;
    out[5] = this.party;
    out[6] = this.seed ? 1 : 0;
    out[7] = this.plan.bitLength;
    view.setUint32(8, this.field.p, true);
    view.setUint16(12, this.plan.classes, true);
    out.set(hexToBytes(this.id), 16);
    if (this.seed) {
      out.set(this.seed, HEADER_BYTES);
      return out;
    }
    let offset = HEADER_BYTES;
    for (const array of arrays) {
      for (let i = 0; i < array.length; i++, offset += 4) view.setUint32(offset, array[i], true);
    }
    return out;
  }

  /** Parses and validates a serialised half; throws INVALID_MESSAGE on any inconsistency. */
  static deserialize(bytes: Uint8Array): ArgmaxCorrelation {
    const bad = (why: string): CryptoError => new CryptoError('INVALID_MESSAGE', `argmax correlation: ${why}`);
    if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_BYTES) throw bad('too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (MAGIC.some((m, i) => bytes[i] !== m) || bytes[4] !== VERSION) throw bad('unknown format');
    const party = bytes[5];
    const form = bytes[6];
    if ((party !== 0 && party !== 1) || (form !== 0 && form !== 1) || (form === 1 && party !== 0)) {
      throw bad('bad party or form');
    }
    if (view.getUint16(14, true) !== 0) throw bad('reserved bytes set');
    let field: PrimeField;
    let plan: ArgmaxPlan;
    try {
      field = new PrimeField(view.getUint32(8, true));
      plan = argmaxPlan(view.getUint16(12, true), bytes[7]);
    } catch {
      throw bad('bad modulus or shape');
    }
    if (plan.bitLength !== field.bitLength) throw bad('bit length does not match the modulus');
    const id = bytesToHex(bytes.subarray(16, 16 + ID_BYTES));
    if (form === 1) {
      if (bytes.length !== HEADER_BYTES + SEED_BYTES) throw bad('wrong length');
      return ArgmaxCorrelation.fromSeed(id, field, plan, bytes.slice(HEADER_BYTES));
    }
    const pairs = plan.pairs.length;
    const lengths = [pairs, pairs * plan.bitLength, plan.tripleCount, plan.tripleCount, plan.tripleCount];
    const total = lengths.reduce((n, l) => n + l, 0);
    if (bytes.length !== HEADER_BYTES + 4 * total) throw bad('wrong length');
    let offset = HEADER_BYTES;
    const arrays = lengths.map((length) => {
      const array = new Uint32Array(length);
      for (let i = 0; i < length; i++, offset += 4) {
        const v = view.getUint32(offset, true);
        if (v >= field.p) throw bad('value out of range');
        array[i] = v;
      }
      return array;
    });
    return new ArgmaxCorrelation(
      id,
      party as PartyIndex,
      field,
      plan,
      arrays[0],
      arrays[1],
      arrays[2],
      arrays[3],
      arrays[4],
      undefined,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export interface DealArgmaxOptions {
  /** The ring Z_p of the shares (the BFV plain modulus t). */
  readonly modulus: number | bigint;
  readonly classes: number;
  /** Source of the dealer's randomness; node:crypto by default. A SeededRng makes the output reproducible. */
  readonly rng?: Rng;
}

/**
 * The dealer (a party that never sees inputs and must not collude with either party): fresh correlated
 * randomness for one two-party argmax — Beaver triples (Beaver, CRYPTO 1991) and, per comparison, a uniform
 * mask r in Z_p shared together with its bits. Returns party 0's and party 1's halves.
 */
export function dealArgmaxCorrelation(options: DealArgmaxOptions): [ArgmaxCorrelation, ArgmaxCorrelation] {
  const field = new PrimeField(options.modulus);
  const plan = argmaxPlan(options.classes, field.bitLength);
  const rng = options.rng ?? new CryptoRng();
  const idBytes = new Uint8Array(ID_BYTES);
  rng.fillBytes(idBytes);
  const seed = new Uint8Array(SEED_BYTES);
  rng.fillBytes(seed);
  const id = bytesToHex(idBytes);
  const first = ArgmaxCorrelation.fromSeed(id, field, plan, seed);

  const pairs = plan.pairs.length;
  const L = plan.bitLength;
  const masks = new Uint32Array(pairs);
  const maskBits = new Uint32Array(pairs * L);
  for (let p = 0; p < pairs; p++) {
    const r = field.random(rng);
    masks[p] = field.sub(r, first.masks[p]);
    for (let b = 0; b < L; b++) {
      const bit = (r >>> b) & 1;
      maskBits[p * L + b] = field.sub(bit, first.maskBits[p * L + b]);
    }
  }
  const n = plan.tripleCount;
  const tripleA = new Uint32Array(n);
  const tripleB = new Uint32Array(n);
  const tripleC = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const a = field.random(rng);
    const b = field.random(rng);
    tripleA[i] = field.sub(a, first.tripleA[i]);
    tripleB[i] = field.sub(b, first.tripleB[i]);
    tripleC[i] = field.sub(field.mul(a, b), first.tripleC[i]);
  }
  const second = ArgmaxCorrelation.fromValues({
    id,
    party: 1,
    field,
    plan,
    masks,
    maskBits,
    tripleA,
    tripleB,
    tripleC,
  });
  return [first, second];
}
