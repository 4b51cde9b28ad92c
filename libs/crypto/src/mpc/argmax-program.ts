import { CryptoError } from '../errors/crypto-error.js';
import type { PrimeField } from '../ring/prime-field.js';
import type { ArgmaxCorrelationData, PartyIndex } from './argmax-correlation.js';

/**
 * One party's side of the secure argmax as a coroutine: each `yield` hands out this party's shares of the values
 * to open in one round and resumes with the opened values (the sum of both parties' shares). The program is pure
 * and deterministic given its inputs and correlation; `ArgmaxParty` turns it into a message-driven state machine.
 */
export type ArgmaxProgram = Generator<Uint32Array, Uint32Array, Uint32Array>;

class TripleCursor {
  private next = 0;

  constructor(private readonly correlation: ArgmaxCorrelationData) {}

  take(count: number): { a: Uint32Array; b: Uint32Array; c: Uint32Array } {
    const end = this.next + count;
    if (end > this.correlation.tripleA.length) {
      throw new CryptoError('CORRELATION_EXHAUSTED', 'argmax: not enough Beaver triples');
    }
    const slice = (array: Uint32Array): Uint32Array => array.subarray(this.next, end);
    const out = {
      a: slice(this.correlation.tripleA),
      b: slice(this.correlation.tripleB),
      c: slice(this.correlation.tripleC),
    };
    this.next = end;
    return out;
  }

  get used(): number {
    return this.next;
  }
}

/** Entrywise products of shared vectors with one Beaver triple each: opens x - a and y - b, then
 * z = c + d b + e a (+ d e for party 0), so that z0 + z1 = x y (Beaver, CRYPTO 1991). One round. */
function* beaverMultiply(
  field: PrimeField,
  party: PartyIndex,
  triples: TripleCursor,
  x: Uint32Array,
  y: Uint32Array,
): ArgmaxProgram {
  const n = x.length;
  const { a, b, c } = triples.take(n);
  const opening = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    opening[2 * i] = field.sub(x[i], a[i]);
    opening[2 * i + 1] = field.sub(y[i], b[i]);
  }
  const opened = yield opening;
  const z = new Uint32Array(n);
  // z = c + d b + e a (+ d e for party 0), the three products summed before one reduction (PrimeField.dot3).
  const de = party === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const d = opened[2 * i];
    const e = opened[2 * i + 1];
    z[i] = field.add(c[i], field.dot3(d, b[i], e, a[i], d, de * e));
  }
  return z;
}

export interface ArgmaxProgramInput {
  readonly party: PartyIndex;
  /** This party's shares of the k values, each in Z_p; every true value must satisfy |v| < p / 4 (centred). */
  readonly shares: Uint32Array;
  readonly correlation: ArgmaxCorrelationData;
}

/** Returns this party's shares of the one-hot vector of the argmax (ties: lowest index). */
export function* argmaxProgram(input: ArgmaxProgramInput): ArgmaxProgram {
  const { party, shares: v, correlation } = input;
  const { field, plan } = correlation;
  const k = plan.classes;
  const L = plan.bitLength;
  const pairs = plan.pairs;
  const P = pairs.length;
  const one = party === 0 ? 1 : 0; // a share of the constant 1: party 0 holds it, party 1 holds 0
  if (k === 1) return Uint32Array.of(one);
  const triples = new TripleCursor(correlation);

  // Round 1: open c = 2 (v_i - v_j) + r. Uniform in Z_p because r is; 2d mod p is even exactly when d >= 0
  // (centred, |d| < p / 2), and LSB(2d mod p) = LSB(c) xor LSB(r) xor [c < r] since p is odd.
  const masked = new Uint32Array(P);
  for (let q = 0; q < P; q++) {
    const [i, j] = pairs[q];
    const d = field.sub(v[i], v[j]);
    masked[q] = field.add(field.add(d, d), correlation.masks[q]);
  }
  const opened = yield masked;

  // e_b = r_b xor c_b (linear, c public); f_b = OR_{b' >= b} e_b' by the parallel suffix-OR.
  const f = new Uint32Array(P * L);
  for (let q = 0; q < P; q++) {
    for (let b = 0; b < L; b++) {
      const rb = correlation.maskBits[q * L + b];
      f[q * L + b] = bitOf(opened[q], b) ? field.sub(one, rb) : rb;
    }
  }
  for (const level of plan.orLevels) {
    const x = new Uint32Array(P * level.length);
    const y = new Uint32Array(P * level.length);
    let n = 0;
    for (let q = 0; q < P; q++) {
      for (const [target, source] of level) {
        x[n] = f[q * L + target];
        y[n++] = f[q * L + source];
      }
    }
    const xy = yield* beaverMultiply(field, party, triples, x, y);
    n = 0;
    for (let q = 0; q < P; q++) {
      for (const [target] of level) {
        f[q * L + target] = field.sub(field.add(x[n], y[n]), xy[n]); // x OR y = x + y - x y
        n++;
      }
    }
  }

  // [c < r] = sum_b (1 - c_b)(f_b - f_{b+1}): the highest differing bit decides, and there r_b = 1 - c_b.
  // s = c_0 xor r_0. LSB = s xor [c < r] = s + w - 2 s w.
  const s = new Uint32Array(P);
  const w = new Uint32Array(P);
  for (let q = 0; q < P; q++) {
    let acc = 0;
    for (let b = 0; b < L; b++) {
      if (bitOf(opened[q], b)) continue;
      const above = b + 1 < L ? f[q * L + b + 1] : 0;
      acc = field.add(acc, field.sub(f[q * L + b], above));
    }
    w[q] = acc;
    const r0 = correlation.maskBits[q * L];
    s[q] = bitOf(opened[q], 0) ? field.sub(one, r0) : r0;
  }
  const sw = yield* beaverMultiply(field, party, triples, s, w);
  const geq = new Uint32Array(P); // [v_i >= v_j] = 1 - LSB
  for (let q = 0; q < P; q++) {
    const lsb = field.sub(field.add(s[q], w[q]), field.add(sw[q], sw[q]));
    geq[q] = field.sub(one, lsb);
  }

  // Class i wins iff v_i >= v_j for every j > i and v_i > v_j (i.e. not v_j >= v_i) for every j < i.
  const pairIndex = (i: number, j: number): number => i * k - (i * (i + 1)) / 2 + (j - i - 1);
  let factors: Uint32Array[] = [];
  for (let i = 0; i < k; i++) {
    const list = new Uint32Array(k - 1);
    let n = 0;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      list[n++] = j > i ? geq[pairIndex(i, j)] : field.sub(one, geq[pairIndex(j, i)]);
    }
    factors.push(list);
  }
  while (factors[0].length > 1) {
    const half = Math.floor(factors[0].length / 2);
    const x = new Uint32Array(k * half);
    const y = new Uint32Array(k * half);
    for (let i = 0; i < k; i++) {
      for (let m = 0; m < half; m++) {
        x[i * half + m] = factors[i][2 * m];
        y[i * half + m] = factors[i][2 * m + 1];
      }
    }
    const xy = yield* beaverMultiply(field, party, triples, x, y);
    factors = factors.map((list, i) => {
      const next = new Uint32Array(half + (list.length % 2));
      next.set(xy.subarray(i * half, (i + 1) * half));
      if (list.length % 2) next[half] = list[list.length - 1];
      return next;
    });
  }
  if (triples.used !== plan.tripleCount) throw new CryptoError('PROTOCOL_STATE', 'argmax: triple count mismatch');
  return Uint32Array.from(factors, (list) => list[0]);
}

function bitOf(value: number, bit: number): boolean {
  return ((value >>> bit) & 1) === 1; // values are below p < 2^32
}
