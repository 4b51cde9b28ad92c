import { CryptoError } from '../errors/crypto-error.js';
import { PrimeField } from '../ring/prime-field.js';
import { ArgmaxCorrelation, type PartyIndex } from './argmax-correlation.js';
import { argmaxPlan } from './argmax-plan.js';

const MAGIC = [0x43, 0x4e, 0x43, 0x42]; // "CNCB"
const VERSION = 1;
/** magic 4, version 1, party 1, reserved u16 (zero), count u32 LE. */
export const CORRELATION_BATCH_HEADER_BYTES = 12;
/** Each half is preceded by its length (u32 LE). */
export const CORRELATION_BATCH_FRAME_HEADER_BYTES = 4;
/** The serialised half's own header (see ArgmaxCorrelation.serialize) and party 0's seed. */
const HALF_HEADER_BYTES = 32;
const SEED_BYTES = 32;
const MAX_U32 = 0xffff_ffff;

/**
 * A batch of one party's correlation halves, as the dealer hands them out:
 * `"CNCB" | version | party | 0x0000 | count u32 | count × (length u32 | ArgmaxCorrelation.serialize())`,
 * little-endian. The header and frames can be written one at a time (the dealer streams large batches).
 */
export function encodeCorrelationBatchHeader(party: PartyIndex, count: number): Uint8Array {
  if (party !== 0 && party !== 1) throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: party must be 0 or 1');
  if (!Number.isInteger(count) || count < 1 || count > MAX_U32) {
    throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: count must be a positive 32-bit integer');
  }
  const out = new Uint8Array(CORRELATION_BATCH_HEADER_BYTES);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = party;
  new DataView(out.buffer).setUint32(8, count, true);
  return out;
}

/** One frame of a batch: the half's length, then its serialised form. */
export function encodeCorrelationBatchFrame(half: ArgmaxCorrelation): Uint8Array {
  const bytes = half.serialize();
  const out = new Uint8Array(CORRELATION_BATCH_FRAME_HEADER_BYTES + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, CORRELATION_BATCH_FRAME_HEADER_BYTES);
  return out;
}

/** The whole batch in memory: all halves must belong to the same party and carry distinct ids. */
export function encodeCorrelationBatch(halves: readonly ArgmaxCorrelation[]): Uint8Array {
  if (!Array.isArray(halves) || halves.length === 0) {
    throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: at least one half is needed');
  }
  const party = halves[0].party;
  const ids = new Set<string>();
  for (const half of halves) {
    if (half.party !== party) throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: halves of both parties');
    if (ids.has(half.id)) throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: a correlation appears twice');
    ids.add(half.id);
  }
  const parts = [encodeCorrelationBatchHeader(party, halves.length), ...halves.map(encodeCorrelationBatchFrame)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Parses a batch; any malformed byte (format, length, a half that does not deserialise, halves of the other
 * party, a correlation id seen twice, trailing bytes) throws INVALID_MESSAGE. Returns the halves in order. With
 * `view`, party 1's values are views of `bytes` (no copy; see ArgmaxCorrelation.deserialize).
 */
export function decodeCorrelationBatch(bytes: Uint8Array, options: { view?: boolean } = {}): ArgmaxCorrelation[] {
  const bad = (why: string): CryptoError => new CryptoError('INVALID_MESSAGE', `correlation batch: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.length < CORRELATION_BATCH_HEADER_BYTES) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (MAGIC.some((m, i) => bytes[i] !== m) || bytes[4] !== VERSION) throw bad('unknown format');
  const party = bytes[5];
  if (party !== 0 && party !== 1) throw bad('bad party');
  if (view.getUint16(6, true) !== 0) throw bad('reserved bytes set');
  const count = view.getUint32(8, true);
  const minimumFrame = CORRELATION_BATCH_FRAME_HEADER_BYTES + HALF_HEADER_BYTES;
  if (count === 0 || count > (bytes.length - CORRELATION_BATCH_HEADER_BYTES) / minimumFrame) {
    throw bad('count does not match the length');
  }
  const halves: ArgmaxCorrelation[] = [];
  const ids = new Set<string>();
  let offset = CORRELATION_BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + CORRELATION_BATCH_FRAME_HEADER_BYTES > bytes.length) throw bad('truncated');
    const length = view.getUint32(offset, true);
    offset += CORRELATION_BATCH_FRAME_HEADER_BYTES;
    if (length < HALF_HEADER_BYTES || length > bytes.length - offset) throw bad('truncated or bad frame length');
    // deserialize throws INVALID_MESSAGE itself on any inconsistency of the half.
    const half = ArgmaxCorrelation.deserialize(bytes.subarray(offset, offset + length), options);
    offset += length;
    if (half.party !== party) throw bad("a half of the other party's");
    if (ids.has(half.id)) throw bad('a correlation appears twice');
    ids.add(half.id);
    halves.push(half);
  }
  if (offset !== bytes.length) throw bad('trailing bytes');
  return halves;
}

export interface CorrelationShape {
  /** The ring Z_p (odd prime < 2^32). */
  readonly modulus: number | bigint;
  readonly classes: number;
  readonly party: PartyIndex;
}

/**
 * Bytes of one serialised half (ArgmaxCorrelation.serialize) of the given shape, without dealing it: party 0's
 * half is a header and a seed; party 1's carries masks, mask bits and Beaver triples as u32 each. Throws
 * INVALID_ARGUMENT for a modulus or class count that dealArgmaxCorrelation would refuse.
 */
export function argmaxCorrelationBytes(shape: CorrelationShape): number {
  const field = new PrimeField(shape.modulus);
  const plan = argmaxPlan(shape.classes, field.bitLength);
  if (shape.party === 0) return HALF_HEADER_BYTES + SEED_BYTES;
  if (shape.party !== 1) throw new CryptoError('INVALID_ARGUMENT', 'correlation: party must be 0 or 1');
  const pairs = plan.pairs.length;
  return HALF_HEADER_BYTES + 4 * (pairs + pairs * plan.bitLength + 3 * plan.tripleCount);
}

/** Bytes of a batch of `count` halves of the given shape (what the dealer sends as Content-Length). */
export function correlationBatchBytes(shape: CorrelationShape & { readonly count: number }): number {
  if (!Number.isInteger(shape.count) || shape.count < 1 || shape.count > MAX_U32) {
    throw new CryptoError('INVALID_ARGUMENT', 'correlation batch: count must be a positive 32-bit integer');
  }
  return (
    CORRELATION_BATCH_HEADER_BYTES +
    shape.count * (CORRELATION_BATCH_FRAME_HEADER_BYTES + argmaxCorrelationBytes(shape))
  );
}
