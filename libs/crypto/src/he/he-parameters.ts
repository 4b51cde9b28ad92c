import { createHash } from 'node:crypto';
import { CryptoError } from '../errors/crypto-error.js';

export type HeScheme = 'bfv' | 'ckks';

/**
 * SEAL encryption parameters, written out as explicit primes so that they (and the context id derived from
 * them) never depend on SEAL's prime-selection helpers. Always checked at 128-bit security (SEAL's tc128,
 * from the HomomorphicEncryption.org standard) when a context is created.
 */
export interface HeParameters {
  readonly scheme: HeScheme;
  readonly polyModulusDegree: number;
  /** The RNS primes q_0 ... q_L; the last one is SEAL's special (key-switching) prime. */
  readonly coeffModulus: readonly bigint[];
  /** BFV only: the plain modulus t, a batching prime (t = 1 mod 2N) below 2^32 — also the ring Z_t of the shares. */
  readonly plainModulus?: bigint;
}

/** SEAL 4.1's BFVDefault(4096) with t = PlainModulus.Batching(4096, 30). Fast; too small for noise flooding. */
export const BFV_4096: HeParameters = Object.freeze({
  scheme: 'bfv',
  polyModulusDegree: 4096,
  coeffModulus: Object.freeze([68719403009n, 68719230977n, 137438822401n]),
  plainModulus: 1073692673n,
});

/** SEAL 4.1's BFVDefault(8192) with the same t: room for 40-bit statistical noise flooding (circuit privacy). */
export const BFV_8192: HeParameters = Object.freeze({
  scheme: 'bfv',
  polyModulusDegree: 8192,
  coeffModulus: Object.freeze([8796092858369n, 8796092792833n, 17592186028033n, 17592185438209n, 17592184717313n]),
  plainModulus: 1073692673n,
});

/** CKKS N = 8192 with CoeffModulus.Create(8192, [60, 40, 40, 60]): a linear head (one rescaling; 100 bits left). */
export const CKKS_8192: HeParameters = Object.freeze({
  scheme: 'ckks',
  polyModulusDegree: 8192,
  coeffModulus: Object.freeze([1152921504606748673n, 1099510890497n, 1099511480321n, 1152921504606830593n]),
});

/**
 * CKKS N = 16384 with CoeffModulus.Create(16384, [60, 60, 40, 40, 40, 60]): two layers with a square activation
 * (three rescalings), leaving 120 bits at the last level so that the response mask can be large.
 */
export const CKKS_16384: HeParameters = Object.freeze({
  scheme: 'ckks',
  polyModulusDegree: 16384,
  coeffModulus: Object.freeze([
    1152921504606584833n,
    1152921504606683137n,
    1099507695617n,
    1099508121601n,
    1099510054913n,
    1152921504606748673n,
  ]),
});

const ALLOWED_DEGREES = [4096, 8192, 16384];
const UINT64_MAX = (1n << 64n) - 1n;

/** Structural checks (SEAL itself checks primality, NTT-friendliness and the 128-bit security bound). */
export function validateHeParameters(params: HeParameters): HeParameters {
  const bad = (why: string): CryptoError => new CryptoError('INVALID_PARAMETERS', `HE parameters: ${why}`);
  if (params.scheme !== 'bfv' && params.scheme !== 'ckks') throw bad('scheme must be bfv or ckks');
  if (!ALLOWED_DEGREES.includes(params.polyModulusDegree)) throw bad(`N must be one of ${ALLOWED_DEGREES.join(', ')}`);
  const q = params.coeffModulus;
  if (!Array.isArray(q) || q.length < 2 || q.length > 16) throw bad('2 to 16 coefficient primes are required');
  for (const prime of q) {
    if (typeof prime !== 'bigint' || prime < 3n || prime >= 1n << 61n) throw bad('each prime must be in [3, 2^61)');
  }
  if (new Set(q.map(String)).size !== q.length) throw bad('coefficient primes must be distinct');
  if (params.scheme === 'bfv') {
    const t = params.plainModulus;
    if (typeof t !== 'bigint' || t < 3n || t >= 1n << 32n) throw bad('BFV needs a plain modulus in [3, 2^32)');
    if ((t - 1n) % BigInt(2 * params.polyModulusDegree) !== 0n) throw bad('t must be a batching prime (t = 1 mod 2N)');
  } else if (params.plainModulus !== undefined) {
    throw bad('CKKS has no plain modulus');
  }
  return params;
}

/**
 * Canonical bytes of the parameters: scheme, N, the primes and t as little-endian u64 (domain-separated). The
 * context id is the SHA-256 of these bytes: keys and ciphertexts carry it, and a context refuses foreign ones.
 */
export function encodeHeParameters(params: HeParameters): Uint8Array {
  validateHeParameters(params);
  const words = [
    params.scheme === 'bfv' ? 1n : 2n,
    BigInt(params.polyModulusDegree),
    BigInt(params.coeffModulus.length),
    ...params.coeffModulus,
    params.plainModulus ?? 0n,
  ];
  const prefix = new TextEncoder().encode('conclave/he-parameters/v1');
  const out = new Uint8Array(prefix.length + 8 * words.length);
  out.set(prefix, 0);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(prefix.length + 8 * i, w & UINT64_MAX, true));
  return out;
}

export function decodeHeParameters(bytes: Uint8Array): HeParameters {
  const bad = (): CryptoError => new CryptoError('INVALID_PARAMETERS', 'HE parameters: malformed encoding');
  const prefix = new TextEncoder().encode('conclave/he-parameters/v1');
  if (!(bytes instanceof Uint8Array) || bytes.length < prefix.length + 32 || (bytes.length - prefix.length) % 8 !== 0) {
    throw bad();
  }
  if (prefix.some((b, i) => bytes[i] !== b)) throw bad();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number): bigint => view.getBigUint64(prefix.length + 8 * i, true);
  const count = Number(word(2));
  if (bytes.length !== prefix.length + 8 * (count + 4)) throw bad();
  const schemeWord = word(0);
  if (schemeWord !== 1n && schemeWord !== 2n) throw bad();
  const scheme: HeScheme = schemeWord === 1n ? 'bfv' : 'ckks';
  const plain = word(3 + count);
  const params: HeParameters = {
    scheme,
    polyModulusDegree: Number(word(1)),
    coeffModulus: Array.from({ length: count }, (_, i) => word(3 + i)),
    ...(scheme === 'bfv' ? { plainModulus: plain } : {}),
  };
  if (scheme === 'ckks' && plain !== 0n) throw bad();
  validateHeParameters(params);
  return params;
}

/** JSON form (bigints as decimal strings). */
export interface HeParametersJson {
  readonly scheme: HeScheme;
  readonly polyModulusDegree: number;
  readonly coeffModulus: readonly string[];
  readonly plainModulus?: string;
}

export function heParametersToJson(params: HeParameters): HeParametersJson {
  validateHeParameters(params);
  return {
    scheme: params.scheme,
    polyModulusDegree: params.polyModulusDegree,
    coeffModulus: params.coeffModulus.map(String),
    ...(params.plainModulus !== undefined ? { plainModulus: String(params.plainModulus) } : {}),
  };
}

export function heParametersFromJson(json: HeParametersJson): HeParameters {
  const toBig = (v: unknown): bigint => {
    if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) {
      throw new CryptoError('INVALID_PARAMETERS', 'HE parameters: moduli must be decimal strings');
    }
    return BigInt(v);
  };
  if (typeof json !== 'object' || json === null || !Array.isArray(json.coeffModulus)) {
    throw new CryptoError('INVALID_PARAMETERS', 'HE parameters: malformed JSON');
  }
  return validateHeParameters({
    scheme: json.scheme,
    polyModulusDegree: json.polyModulusDegree,
    coeffModulus: json.coeffModulus.map(toBig),
    ...(json.plainModulus !== undefined ? { plainModulus: toBig(json.plainModulus) } : {}),
  });
}

/** Hex SHA-256 of the canonical encoding: equal ids, equal parameters. */
export function heContextId(params: HeParameters): string {
  return createHash('sha256').update(encodeHeParameters(params)).digest('hex');
}
