import { CryptoError } from '../errors/crypto-error.js';
import type { PrimeField } from '../ring/prime-field.js';
import type { PartyIndex } from './argmax-correlation.js';

const MAGIC = [0x43, 0x4e, 0x41, 0x58]; // "CNAX"
const VERSION = 1;
/** magic 4, version 1, sender 1, round u16, correlation id 16, count u32. */
export const ARGMAX_MESSAGE_HEADER_BYTES = 28;

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
  for (let i = 0; i < 16; i++) out[8 + i] = parseInt(message.correlationId.slice(2 * i, 2 * i + 2), 16);
  view.setUint32(24, message.values.length, true);
  for (let i = 0; i < message.values.length; i++)
    view.setUint32(ARGMAX_MESSAGE_HEADER_BYTES + 4 * i, message.values[i], true);
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
  let id = '';
  for (let i = 0; i < 16; i++) id += bytes[8 + i].toString(16).padStart(2, '0');
  if (id !== expected.correlationId) throw new CryptoError('CORRELATION_MISMATCH', 'argmax message: other correlation');
  const count = view.getUint32(24, true);
  if (count !== expected.count || bytes.length !== ARGMAX_MESSAGE_HEADER_BYTES + 4 * count) throw bad('wrong length');
  const values = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getUint32(ARGMAX_MESSAGE_HEADER_BYTES + 4 * i, true);
    if (v >= expected.field.p) throw bad('value out of range');
    values[i] = v;
  }
  return { sender: expected.sender, round: expected.round, correlationId: id, values };
}
