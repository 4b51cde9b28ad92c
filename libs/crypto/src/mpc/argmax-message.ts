import { CryptoError } from '../errors/crypto-error.js';
import type { PrimeField } from '../ring/prime-field.js';
import type { PartyIndex } from './argmax-correlation.js';

const MAGIC = [0x43, 0x4e, 0x41, 0x58]; // "CNAX"
const VERSION = 1;
/** magic 4, version 1, sender 1, round u16, correlation id 16, count u32. */
export const ARGMAX_MESSAGE_HEADER_BYTES = 28;
/** Little-endian platform: values can be copied as a Uint32Array (the wire format is little-endian). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** One round's message of the secure argmax: the sender's shares of the values both parties open this round. */
export interface ArgmaxMessage {
  readonly sender: PartyIndex;
  readonly round: number;
  /** 16 bytes as 32 hex digits: the correlation both parties consume. */
  readonly correlationId: string;
  readonly values: Uint32Array;
}

export function encodeArgmaxMessage(message: ArgmaxMessage): Uint8Array {
  const out = new Uint8Array(ARGMAX_MESSAGE_HEADER_BYTES + 4 * message.values.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = message.sender;
  view.setUint16(6, message.round, true);
  out.set(Buffer.from(message.correlationId, 'hex').subarray(0, 16), 8);
  view.setUint32(24, message.values.length, true);
  if (LITTLE_ENDIAN) {
    new Uint32Array(out.buffer, ARGMAX_MESSAGE_HEADER_BYTES, message.values.length).set(message.values);
  } else {
    for (let i = 0; i < message.values.length; i++) {
      view.setUint32(ARGMAX_MESSAGE_HEADER_BYTES + 4 * i, message.values[i], true);
    }
  }
  return out;
}

/** What the receiver expects; anything else is refused with INVALID_MESSAGE before any value is used. */
export interface ArgmaxMessageExpectation {
  readonly sender: PartyIndex;
  readonly round: number;
  readonly correlationId: string;
  readonly count: number;
  readonly field: PrimeField;
}

export function decodeArgmaxMessage(bytes: Uint8Array, expected: ArgmaxMessageExpectation): ArgmaxMessage {
  const bad = (why: string): CryptoError => new CryptoError('INVALID_MESSAGE', `argmax message: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.length < ARGMAX_MESSAGE_HEADER_BYTES) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (MAGIC.some((m, i) => bytes[i] !== m) || bytes[4] !== VERSION) throw bad('unknown format');
  if (bytes[5] !== expected.sender) throw bad('unexpected sender');
  if (view.getUint16(6, true) !== expected.round) throw bad('unexpected round (replayed or out of order)');
  const id = Buffer.from(bytes.buffer, bytes.byteOffset + 8, 16).toString('hex');
  if (id !== expected.correlationId) throw new CryptoError('CORRELATION_MISMATCH', 'argmax message: other correlation');
  const count = view.getUint32(24, true);
  if (count !== expected.count || bytes.length !== ARGMAX_MESSAGE_HEADER_BYTES + 4 * count) throw bad('wrong length');
  const p = expected.field.p;
  let values: Uint32Array;
  if (LITTLE_ENDIAN) {
    // A view of the message's bytes when they are aligned (read only), else a copy; then one pass of range checks.
    const offset = bytes.byteOffset + ARGMAX_MESSAGE_HEADER_BYTES;
    if (offset % 4 === 0) values = new Uint32Array(bytes.buffer, offset, count);
    else {
      values = new Uint32Array(count);
      new Uint8Array(values.buffer).set(bytes.subarray(ARGMAX_MESSAGE_HEADER_BYTES));
    }
    for (let i = 0; i < count; i++) if (values[i] >= p) throw bad('value out of range');
  } else {
    values = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const v = view.getUint32(ARGMAX_MESSAGE_HEADER_BYTES + 4 * i, true);
      if (v >= p) throw bad('value out of range');
      values[i] = v;
    }
  }
  return { sender: expected.sender, round: expected.round, correlationId: id, values };
}
