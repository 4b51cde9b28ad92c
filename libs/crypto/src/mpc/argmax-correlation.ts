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

type ExpandedValues = Pick<ArgmaxCorrelationData, 'masks' | 'maskBits' | 'tripleA' | 'tripleB' | 'tripleC'>;

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Little-endian platform: u32 words can be copied as a Uint32Array view (the wire format is little-endian). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * One party's half of the dealer's output for one argmax. Party 0's half is generated from a 32-byte seed and
 * serialises as that seed (about 60 bytes on the wire); party 1's half carries the explicit values that make the
 * sums right. Either half alone is uniformly random and independent of the other party's inputs.
 *
 * A seed half expands its vectors on first use only: the dealer serialises party 0's half (the seed) without ever
 * expanding it.
 */
export class ArgmaxCorrelation implements ArgmaxCorrelationData {
  private consumed = false;
  private values: ExpandedValues | undefined;

  private constructor(
    readonly id: string,
    readonly party: PartyIndex,
    readonly field: PrimeField,
    readonly plan: ArgmaxPlan,
    values: ExpandedValues | undefined,
    private readonly seed: Uint8Array | undefined,
  ) {
    this.values = values;
  }

  get masks(): Uint32Array {
    return this.expanded().masks;
  }

  get maskBits(): Uint32Array {
    return this.expanded().maskBits;
  }

  get tripleA(): Uint32Array {
    return this.expanded().tripleA;
  }

  get tripleB(): Uint32Array {
    return this.expanded().tripleB;
  }

  get tripleC(): Uint32Array {
    return this.expanded().tripleC;
  }

  /** Party 0's half, expanded from its seed when its values are first read. */
  static fromSeed(id: string, field: PrimeField, plan: ArgmaxPlan, seed: Uint8Array): ArgmaxCorrelation {
    if (seed.length !== SEED_BYTES)
      throw new CryptoError('INVALID_ARGUMENT', 'argmax correlation: a seed has 32 bytes');
    return new ArgmaxCorrelation(id, 0, field, plan, undefined, seed.slice());
  }

  /** Party 1's half (or any half given explicitly). */
  static fromValues(data: ArgmaxCorrelationData): ArgmaxCorrelation {
    const { masks, maskBits, tripleA, tripleB, tripleC } = data;
    return new ArgmaxCorrelation(
      data.id,
      data.party,
      data.field,
      data.plan,
      { masks, maskBits, tripleA, tripleB, tripleC },
      undefined,
    );
  }

  private expanded(): ExpandedValues {
    if (!this.values) {
      const rng = new SeededRng(concat(new TextEncoder().encode(SEED_DOMAIN + this.id), this.seed!));
      const { field, plan } = this;
      const pairs = plan.pairs.length;
      this.values = {
        masks: field.randomVector(pairs, rng),
        maskBits: field.randomVector(pairs * plan.bitLength, rng),
        tripleA: field.randomVector(plan.tripleCount, rng),
        tripleB: field.randomVector(plan.tripleCount, rng),
        tripleC: field.randomVector(plan.tripleCount, rng),
      };
    }
    return this.values;
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
      if (LITTLE_ENDIAN) {
        new Uint32Array(out.buffer, offset, array.length).set(array);
        offset += 4 * array.length;
      } else {
        for (let i = 0; i < array.length; i++, offset += 4) view.setUint32(offset, array[i], true);
      }
    }
    return out;
  }

  /**
   * Parses and validates a serialised half; throws INVALID_MESSAGE on any inconsistency. With `view`, party 1's
   * values are views of `bytes` where aligned (no copy): `bytes` must then stay unchanged while the half is in use.
   */
  static deserialize(bytes: Uint8Array, options: { view?: boolean } = {}): ArgmaxCorrelation {
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
      if (LITTLE_ENDIAN) {
        // A view of the input (asked for, and aligned) or a copy; then one pass of range checks.
        const at = bytes.byteOffset + offset;
        let array: Uint32Array;
        if (options.view && at % 4 === 0) array = new Uint32Array(bytes.buffer, at, length);
        else {
          array = new Uint32Array(length);
          new Uint8Array(array.buffer).set(bytes.subarray(offset, offset + 4 * length));
        }
        offset += 4 * length;
        for (let i = 0; i < length; i++) if (array[i] >= field.p) throw bad('value out of range');
        return array;
      }
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
      { masks: arrays[0], maskBits: arrays[1], tripleA: arrays[2], tripleB: arrays[3], tripleC: arrays[4] },
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
  const { field, plan, rng, first } = dealSeedHalf(options);
  return [first, dealSecondHalf(field, plan, rng, first)];
}

/**
 * One half of what dealArgmaxCorrelation deals with the same options (the same rng stream gives the same half).
 * Party 0's half is the first 48 bytes of the rng's output (id and seed) and costs nothing to deal; party 1's
 * half needs the whole dealing. Lets a dealer that regenerates correlations from a seed produce each party's half
 * on its own request without dealing party 1's values for party 0.
 */
export function dealArgmaxCorrelationHalf(
  options: DealArgmaxOptions & { readonly party: PartyIndex },
): ArgmaxCorrelation {
  if (options.party !== 0 && options.party !== 1) {
    throw new CryptoError('INVALID_ARGUMENT', 'argmax correlation: party must be 0 or 1');
  }
  const { field, plan, rng, first } = dealSeedHalf(options);
  return options.party === 0 ? first : dealSecondHalf(field, plan, rng, first);
}

function dealSeedHalf(options: DealArgmaxOptions): {
  field: PrimeField;
  plan: ArgmaxPlan;
  rng: Rng;
  first: ArgmaxCorrelation;
} {
  const field = new PrimeField(options.modulus);
  const plan = argmaxPlan(options.classes, field.bitLength);
  const rng = options.rng ?? new CryptoRng();
  const idBytes = new Uint8Array(ID_BYTES);
  rng.fillBytes(idBytes);
  const seed = new Uint8Array(SEED_BYTES);
  rng.fillBytes(seed);
  const first = ArgmaxCorrelation.fromSeed(bytesToHex(idBytes), field, plan, seed);
  seed.fill(0);
  return { field, plan, rng, first };
}

/** Party 1's half: the values that make both halves add up to r, its bits, and triples (a, b, a b). */
function dealSecondHalf(field: PrimeField, plan: ArgmaxPlan, rng: Rng, first: ArgmaxCorrelation): ArgmaxCorrelation {
  const pairs = plan.pairs.length;
  const L = plan.bitLength;
  const masks = new Uint32Array(pairs);
  const maskBits = new Uint32Array(pairs * L);
  const firstMasks = first.masks;
  const firstBits = first.maskBits;
  // Drawn in the same order as one field.random(rng) per value: r per pair, then (a, b) per triple.
  const rs = field.randomVector(pairs, rng);
  for (let p = 0; p < pairs; p++) {
    const r = rs[p];
    masks[p] = field.sub(r, firstMasks[p]);
    for (let b = 0; b < L; b++) {
      const bit = (r >>> b) & 1;
      maskBits[p * L + b] = field.sub(bit, firstBits[p * L + b]);
    }
  }
  const n = plan.tripleCount;
  const tripleA = new Uint32Array(n);
  const tripleB = new Uint32Array(n);
  const tripleC = new Uint32Array(n);
  const firstA = first.tripleA;
  const firstB = first.tripleB;
  const firstC = first.tripleC;
  const ab = field.randomVector(2 * n, rng);
  for (let i = 0; i < n; i++) {
    const a = ab[2 * i];
    const b = ab[2 * i + 1];
    tripleA[i] = field.sub(a, firstA[i]);
    tripleB[i] = field.sub(b, firstB[i]);
    tripleC[i] = field.sub(field.mul(a, b), firstC[i]);
  }
  return ArgmaxCorrelation.fromValues({
    id: first.id,
    party: 1,
    field,
    plan,
    masks,
    maskBits,
    tripleA,
    tripleB,
    tripleC,
  });
}
