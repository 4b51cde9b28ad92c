import { CryptoError } from '../errors/crypto-error.js';

/**
 * SEAL 4.1's uncompressed serialisation, as far as Conclave needs it, and Conclave's own wire format.
 *
 * SEAL's loaders trap (WebAssembly abort, sometimes heap corruption) on truncated or corrupted input, compressed
 * or seeded input especially. So bytes from the network never reach them: the wire carries only the coefficients
 * (packed) behind a small header that is checked completely, and the SEAL bytes are rebuilt from a template made
 * locally by the same SEAL build, with every coefficient checked below its prime. SEAL then only ever parses
 * well-formed input.
 *
 * SEAL layout (little-endian), checked against locally produced objects whenever a template is made:
 *   header(16: magic 0xA15E, 0x10, 4, 1, compr 0, 0, total size u64)
 *   Ciphertext / PublicKey: parms_id(32) ntt(1) size(8) N(8) k(8) scale(f64) correction(8)
 *                           header(16) words(8) data[words] [seeded: header(16) prngType(1) seed(64)]
 *   Plaintext / SecretKey:  parms_id(32) coeffCount(8) scale(f64) header(16) words(8) data[words]
 */

const SEAL_MAGIC = [0x5e, 0xa1, 0x10, 0x04, 0x01, 0x00, 0x00, 0x00];
const HEADER = 16;
const SEED_BYTES = 64;
const SEED_INFO_BYTES = HEADER + 1 + SEED_BYTES;

export type SealBlobKind = 'ciphertext' | 'plaintext';

/** A locally produced SEAL blob reduced to what surrounds its coefficient data. */
export interface SealTemplate {
  readonly kind: SealBlobKind;
  /** Bytes before the coefficient data. */
  readonly prefix: Uint8Array;
  /** Polynomials in the data: 2 for a full ciphertext, 1 for a seeded one (c0) and for plaintexts. */
  readonly polys: number;
  readonly primes: number;
  readonly degree: number;
  /** Seeded ciphertexts: the PRNG-info header and type byte that precede the 64-byte seed. */
  readonly seedHeader?: Uint8Array;
  /** Offset of the f64 scale inside `prefix`. */
  readonly scaleOffset: number;
}

function layoutError(why: string): CryptoError {
  return new CryptoError('RUNTIME_FAILURE', `unexpected SEAL serialisation layout: ${why}`);
}

function readU64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw layoutError('size field too large');
  return Number(value);
}

/** Checks a SEAL header (magic, version 4.1, no compression) and its size field. */
export function checkHeader(bytes: Uint8Array, offset: number, expectedSize: number): void {
  for (let i = 0; i < SEAL_MAGIC.length; i++) {
    if (bytes[offset + i] !== SEAL_MAGIC[i]) throw layoutError('SEAL header (magic, version or compression)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (readU64(view, offset + 8) !== expectedSize) throw layoutError('SEAL header size');
}

/** Inspects an uncompressed SEAL ciphertext / public key blob produced locally. */
export function ciphertextTemplate(bytes: Uint8Array, degree: number, primes: number, seeded: boolean): SealTemplate {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkHeader(bytes, 0, bytes.length);
  if (readU64(view, 49) !== 2 || readU64(view, 57) !== degree || readU64(view, 65) !== primes) {
    throw layoutError('ciphertext metadata');
  }
  const words = (seeded ? 1 : 2) * primes * degree;
  const dataOffset = 113;
  checkHeader(bytes, 89, HEADER + 8 + 8 * words);
  if (readU64(view, 105) !== words) throw layoutError('ciphertext word count');
  const expectedLength = dataOffset + 8 * words + (seeded ? SEED_INFO_BYTES : 0);
  if (bytes.length !== expectedLength) throw layoutError('ciphertext length');
  let seedHeader: Uint8Array | undefined;
  if (seeded) {
    const at = dataOffset + 8 * words;
    checkHeader(bytes, at, SEED_INFO_BYTES);
    seedHeader = bytes.slice(at, at + HEADER + 1);
  }
  return {
    kind: 'ciphertext',
    prefix: bytes.slice(0, dataOffset),
    polys: seeded ? 1 : 2,
    primes,
    degree,
    seedHeader,
    scaleOffset: 73,
  };
}

/** Inspects an uncompressed SEAL plaintext / secret key blob produced locally. */
export function plaintextTemplate(bytes: Uint8Array, degree: number, primes: number): SealTemplate {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkHeader(bytes, 0, bytes.length);
  const words = primes * degree;
  if (readU64(view, 48) !== words) throw layoutError('plaintext coefficient count');
  checkHeader(bytes, 64, HEADER + 8 + 8 * words);
  if (readU64(view, 80) !== words || bytes.length !== 88 + 8 * words) throw layoutError('plaintext length');
  return { kind: 'plaintext', prefix: bytes.slice(0, 88), polys: 1, primes, degree, scaleOffset: 56 };
}

/** Bytes per coefficient on the wire for each prime: ceil(bits / 8). */
export function coefficientWidths(primes: readonly bigint[]): number[] {
  return primes.map((q) => Math.ceil(q.toString(2).length / 8));
}

/** Where the coefficient data of a template starts and ends inside a SEAL blob. */
export function templateDataRange(template: SealTemplate): { start: number; end: number } {
  const start = template.prefix.length;
  return { start, end: start + 8 * template.polys * template.primes * template.degree };
}

/** The high part (bytes 4 .. width-1) of a little-endian integer of `width` (5..8) bytes at `offset`. */
function readHigh(view: DataView, bytes: Uint8Array, offset: number, width: number): number {
  if (width === 5) return bytes[offset + 4];
  if (width === 6) return view.getUint16(offset + 4, true);
  if (width === 7) return view.getUint16(offset + 4, true) + bytes[offset + 6] * 0x1_0000;
  return view.getUint32(offset + 4, true);
}

/** A little-endian integer of `width` (1..4) bytes at `offset`. */
function readLowOnly(bytes: Uint8Array, offset: number, width: number): number {
  let low = 0;
  for (let b = width - 1; b >= 0; b--) low = low * 256 + bytes[offset + b];
  return low;
}

function writeNarrow(
  view: DataView,
  bytes: Uint8Array,
  offset: number,
  width: number,
  high: number,
  low: number,
): void {
  if (width >= 4) {
    view.setUint32(offset, low, true);
    for (let b = 4; b < width; b++) bytes[offset + b] = (high >>> (8 * (b - 4))) & 0xff;
  } else {
    for (let b = 0; b < width; b++) bytes[offset + b] = (low >>> (8 * b)) & 0xff;
  }
}

/**
 * Packs the coefficient words of a locally produced blob (which must match `template`) into `out` at `offset`,
 * `widths[i]` bytes per coefficient of prime i. Returns the offset after the data. The prefix is compared with
 * the template (except the scale), so a SEAL object of another level or shape is never exported by mistake.
 */
export function packCoefficients(
  blob: Uint8Array,
  template: SealTemplate,
  widths: readonly number[],
  out: Uint8Array,
  offset: number,
): number {
  const { start, end } = templateDataRange(template);
  if (blob.length !== end + (template.seedHeader ? SEED_INFO_BYTES : 0)) throw layoutError('blob length');
  for (let i = 0; i < start; i++) {
    const inScale = i >= template.scaleOffset && i < template.scaleOffset + 8;
    if (!inScale && blob[i] !== template.prefix[i]) throw layoutError('blob prefix differs from its template');
  }
  const source = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const target = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let src = start;
  let dst = offset;
  const N = template.degree;
  for (let poly = 0; poly < template.polys; poly++) {
    for (let prime = 0; prime < template.primes; prime++) {
      const width = widths[prime];
      for (let j = 0; j < N; j++, src += 8, dst += width) {
        writeNarrow(target, out, dst, width, source.getUint32(src + 4, true), source.getUint32(src, true));
      }
    }
  }
  return dst;
}

/**
 * The inverse of `packCoefficients`: rebuilds a SEAL blob from the template and packed coefficients, refusing
 * (INVALID_CIPHERTEXT / INVALID_KEY via `code`) any coefficient that is not below its prime.
 */
export function unpackCoefficients(
  template: SealTemplate,
  primes: readonly bigint[],
  widths: readonly number[],
  packed: Uint8Array,
  offset: number,
  scale: number | undefined,
  code: 'INVALID_CIPHERTEXT' | 'INVALID_KEY',
): { blob: Uint8Array; offset: number } {
  const { start, end } = templateDataRange(template);
  const blob = new Uint8Array(end + (template.seedHeader ? SEED_INFO_BYTES : 0));
  blob.set(template.prefix, 0);
  const view = new DataView(blob.buffer);
  const input = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  if (scale !== undefined) view.setFloat64(template.scaleOffset, scale, true);
  let src = offset;
  let dst = start;
  const N = template.degree;
  for (let poly = 0; poly < template.polys; poly++) {
    for (let prime = 0; prime < template.primes; prime++) {
      const width = widths[prime];
      const limitHigh = Number(primes[prime] >> 32n);
      const limitLow = Number(primes[prime] & 0xffffffffn);
      for (let j = 0; j < N; j++, src += width, dst += 8) {
        const wide = width > 4;
        const low = width >= 4 ? input.getUint32(src, true) : readLowOnly(packed, src, width);
        const high = wide ? readHigh(input, packed, src, width) : 0;
        if (high > limitHigh || (high === limitHigh && low >= limitLow)) {
          throw new CryptoError(code, 'a coefficient is not reduced modulo its prime');
        }
        view.setUint32(dst, low, true);
        view.setUint32(dst + 4, high, true);
      }
    }
  }
  return { blob, offset: src };
}

/** Seeded blobs: writes the PRNG-info header and the 64-byte seed after the data. */
export function writeSeed(template: SealTemplate, blob: Uint8Array, prngType: number, seed: Uint8Array): void {
  if (!template.seedHeader) throw layoutError('template is not seeded');
  const at = templateDataRange(template).end;
  blob.set(template.seedHeader, at);
  blob[at + HEADER] = prngType;
  blob.set(seed, at + HEADER + 1);
}

/** Seeded blobs: the PRNG type byte and the 64-byte seed. */
export function readSeed(template: SealTemplate, blob: Uint8Array): { prngType: number; seed: Uint8Array } {
  if (!template.seedHeader) throw layoutError('template is not seeded');
  const at = templateDataRange(template).end;
  for (let i = 0; i < HEADER; i++) if (blob[at + i] !== template.seedHeader[i]) throw layoutError('seed header');
  return { prngType: blob[at + HEADER], seed: blob.slice(at + HEADER + 1, at + SEED_INFO_BYTES) };
}

export const SEED_LENGTH = SEED_BYTES;
/** Bytes of the PRNG info that follows the data of a seeded blob (header, type, seed). */
export const SEED_INFO_LENGTH = SEED_INFO_BYTES;

/** Length of a complete blob made from `template`. */
export function templateBlobLength(template: SealTemplate): number {
  return templateDataRange(template).end + (template.seedHeader ? SEED_INFO_BYTES : 0);
}
