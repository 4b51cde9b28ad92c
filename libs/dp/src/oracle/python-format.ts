// Python float formatting ('{}', '{:.Nf}', '{:.N}') reproduced exactly, for comparing the reference scripts' printed
// lines. Python rounds the exact binary value half-to-even; JavaScript's toFixed rounds ties up, so the exact
// decimal expansion of the double is computed with BigInt and rounded here.

/** Exact decimal expansion of a finite double: digits (no leading zeros unless 0) and pointPos (value = 0.digits * 10^pointPos). */
function exactDecimal(x: number): { digits: string; pointPos: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let e2: number;
  if (expBits === 0) {
    e2 = -1074;
  } else {
    mantissa |= 1n << 52n;
    e2 = expBits - 1075;
  }
  if (mantissa === 0n) return { digits: '0', pointPos: 1 };
  let digits: string;
  let pointPos: number;
  if (e2 >= 0) {
    digits = (mantissa << BigInt(e2)).toString();
    pointPos = digits.length;
  } else {
    digits = (mantissa * 5n ** BigInt(-e2)).toString();
    pointPos = digits.length - -e2;
  }
  const stripped = digits.replace(/^0+/, '');
  pointPos -= digits.length - stripped.length;
  return { digits: stripped.replace(/0+$/, '') || '0', pointPos };
}

/** Rounds 0.digits * 10^pointPos to keep `keep` leading digits, half to even. Returns new digits (length keep) and pointPos. */
function roundDigits(digits: string, pointPos: number, keep: number): { digits: string; pointPos: number } {
  if (keep <= 0) {
    // Everything rounds away; the value is < 1 unit of the kept position. Round half-even against 0.
    const first = keep === 0 ? digits.charCodeAt(0) - 48 : 0;
    const rest = digits.slice(1).replace(/0+$/, '');
    const up = keep === 0 && (first > 5 || (first === 5 && rest.length > 0));
    return up ? { digits: '1', pointPos: pointPos + 1 } : { digits: '0', pointPos: pointPos };
  }
  if (digits.length <= keep) return { digits: digits.padEnd(keep, '0'), pointPos };
  const head = digits.slice(0, keep);
  const next = digits.charCodeAt(keep) - 48;
  const tail = digits.slice(keep + 1).replace(/0+$/, '');
  const lastEven = (head.charCodeAt(keep - 1) - 48) % 2 === 0;
  const up = next > 5 || (next === 5 && (tail.length > 0 || !lastEven));
  if (!up) return { digits: head, pointPos };
  const inc = (BigInt(head) + 1n).toString();
  if (inc.length > keep) return { digits: inc.slice(0, keep), pointPos: pointPos + 1 };
  return { digits: inc.padStart(keep, '0'), pointPos };
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** Python '{:.Nf}'.format(x). */
export function formatFixed(x: number, decimals: number): string {
  const nf = nonFinite(x);
  if (nf !== null) return nf;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { digits, pointPos } = exactDecimal(x);
  const r = digits === '0' ? { digits: '0', pointPos: 1 } : roundDigits(digits, pointPos, pointPos + decimals);
  let intPart: string;
  let frac: string;
  if (r.digits === '0') {
    intPart = '0';
    frac = '0'.repeat(decimals);
  } else if (r.pointPos <= 0) {
    intPart = '0';
    frac = ('0'.repeat(-r.pointPos) + r.digits).padEnd(decimals, '0').slice(0, decimals);
  } else {
    const all = r.digits.padEnd(r.pointPos + decimals, '0');
    intPart = all.slice(0, r.pointPos);
    frac = all.slice(r.pointPos, r.pointPos + decimals);
  }
  return sign + intPart + (decimals > 0 ? '.' + frac : '');
}

function exponentSuffix(e: number): string {
  const s = Math.abs(e).toString().padStart(2, '0');
  return (e < 0 ? 'e-' : 'e+') + s;
}

/** Python '{:.Ng}'.format(x); with addDot0 ('{:.N}' with no type) a fixed result always has a fractional digit. */
export function formatGeneral(x: number, precision: number, addDot0 = false): string {
  const nf = nonFinite(x);
  if (nf !== null) return nf;
  const p = Math.max(1, precision);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + (addDot0 ? '0.0' : '0');
  const ex = exactDecimal(x);
  const r = roundDigits(ex.digits, ex.pointPos, p);
  const exp10 = r.pointPos - 1;
  const digits = r.digits.replace(/0+$/, '') || '0';
  if (exp10 >= -4 && exp10 < p) {
    let s: string;
    if (exp10 >= 0) {
      const intPart = digits.padEnd(exp10 + 1, '0').slice(0, exp10 + 1);
      const frac = digits.slice(exp10 + 1);
      s = frac.length > 0 ? `${intPart}.${frac}` : intPart;
    } else {
      s = '0.' + '0'.repeat(-exp10 - 1) + digits;
    }
    if (addDot0 && !s.includes('.')) s += '.0';
    return sign + s;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return sign + mant + exponentSuffix(exp10);
}

/** Python repr(float) / '{}'.format(float): shortest round-trip digits, fixed for 1e-4 <= |x| < 1e16. */
export function formatRepr(x: number): string {
  const nf = nonFinite(x);
  if (nf !== null) return nf;
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp10 = Number(expStr);
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 >= 0) {
      const intPart = digits.padEnd(exp10 + 1, '0').slice(0, exp10 + 1);
      const frac = digits.slice(exp10 + 1);
      return sign + intPart + '.' + (frac.length > 0 ? frac : '0');
    }
    return sign + '0.' + '0'.repeat(-exp10 - 1) + digits;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return sign + m + exponentSuffix(exp10);
}
