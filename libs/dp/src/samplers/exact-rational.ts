import { DpError } from '../errors/dp-error.js';

/** A non-negative rational number numerator / denominator, held exactly. */
export interface ExactRational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const FLOAT_VIEW = new DataView(new ArrayBuffer(8));

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** numerator / denominator in lowest terms (denominator > 0). */
export function reduceRational(numerator: bigint, denominator: bigint): ExactRational {
  if (denominator <= 0n || numerator < 0n) {
    throw new DpError('INVALID_ARGUMENT', 'rational must have numerator >= 0 and denominator > 0');
  }
  const g = gcd(numerator, denominator);
  return g <= 1n ? { numerator, denominator } : { numerator: numerator / g, denominator: denominator / g };
}

/** The exact value of a finite non-negative double as a dyadic rational m / 2^k (IEEE 754 binary64 decoding). */
export function rationalFromDouble(x: number): ExactRational {
  if (!Number.isFinite(x) || x < 0)
    throw new DpError('INVALID_ARGUMENT', 'rationalFromDouble: x must be finite and >= 0');
  if (x === 0) return { numerator: 0n, denominator: 1n };
  FLOAT_VIEW.setFloat64(0, x);
  const bits = FLOAT_VIEW.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // Normal: (2^52 + f) * 2^(e - 1075); subnormal: f * 2^(-1074).
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  return exponent >= 0
    ? { numerator: mantissa << BigInt(exponent), denominator: 1n }
    : reduceRational(mantissa, 1n << BigInt(-exponent));
}

/** ceil(r * 2^k) / 2^k: the smallest multiple of 2^-k that is >= r (exact). */
export function roundUpToDyadic(r: ExactRational, k: number): ExactRational {
  const scale = 1n << BigInt(k);
  const scaled = r.numerator * scale;
  const ceil = (scaled + r.denominator - 1n) / r.denominator;
  return reduceRational(ceil, scale);
}

/** Number of bits of a non-negative bigint (0n has 0 bits). */
export function bigBitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** A double within a few ulps of the rational (for display and float formulas; never for sampling decisions). */
export function rationalToNumber(r: ExactRational): number {
  const shift = Math.max(0, bigBitLength(r.numerator) - 1000, bigBitLength(r.denominator) - 1000);
  const s = BigInt(shift);
  return Number(r.numerator >> s) / Number(r.denominator >> s);
}
