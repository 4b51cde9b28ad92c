import { CryptoError } from '../errors/crypto-error.js';

/**
 * Conclave's envelope around every HE object that crosses a process boundary:
 *   magic "CNHE" | version u8 | kind u8 | form u8 | primes u8 | context id (32 bytes) | scale f64 | payload
 * The payload is the packed coefficients (see seal-layout.ts), followed for seeded forms by the PRNG type byte
 * and the 64-byte seed.
 */
export const ENVELOPE_HEADER_BYTES = 48;
const MAGIC = [0x43, 0x4e, 0x48, 0x45]; // "CNHE"
const VERSION = 1;

export type EnvelopeKind = 'ciphertext' | 'publicKey' | 'secretKey' | 'relinKeys' | 'galoisKeys';
export type EnvelopeForm = 'full' | 'seeded';

const KIND_CODES: Record<EnvelopeKind, number> = {
  ciphertext: 1,
  publicKey: 2,
  secretKey: 3,
  relinKeys: 4,
  galoisKeys: 5,
};

export interface EnvelopeHeader {
  readonly kind: EnvelopeKind;
  readonly form: EnvelopeForm;
  /** RNS primes of the object's level. */
  readonly primes: number;
  /** Hex SHA-256 of the parameters (heContextId). */
  readonly contextId: string;
  readonly scale: number;
}

export function writeEnvelopeHeader(out: Uint8Array, header: EnvelopeHeader): void {
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = KIND_CODES[header.kind];
  out[6] = header.form === 'seeded' ? 1 : 0;
  out[7] = header.primes;
  for (let i = 0; i < 32; i++) out[8 + i] = parseInt(header.contextId.slice(2 * i, 2 * i + 2), 16);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setFloat64(40, header.scale, true);
}

/**
 * Reads and checks the envelope header: format, expected kind, then the context id (CONTEXT_MISMATCH when the
 * object belongs to other parameters). `code` is the error for everything else malformed.
 */
export function readEnvelopeHeader(
  bytes: Uint8Array,
  expectedKind: EnvelopeKind,
  contextId: string,
  code: 'INVALID_CIPHERTEXT' | 'INVALID_KEY',
): EnvelopeHeader {
  const bad = (why: string): CryptoError => new CryptoError(code, `${expectedKind}: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.length < ENVELOPE_HEADER_BYTES) throw bad('too short');
  if (MAGIC.some((m, i) => bytes[i] !== m) || bytes[4] !== VERSION) throw bad('not a Conclave HE object');
  if (bytes[5] !== KIND_CODES[expectedKind]) throw bad('wrong kind of object');
  if (bytes[6] !== 0 && bytes[6] !== 1) throw bad('unknown form');
  let id = '';
  for (let i = 0; i < 32; i++) id += bytes[8 + i].toString(16).padStart(2, '0');
  if (id !== contextId) {
    throw new CryptoError('CONTEXT_MISMATCH', `${expectedKind}: made under other HE parameters (context ${id})`);
  }
  const scale = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(40, true);
  if (!Number.isFinite(scale) || scale < 1) throw bad('invalid scale');
  return { kind: expectedKind, form: bytes[6] === 1 ? 'seeded' : 'full', primes: bytes[7], contextId: id, scale };
}
