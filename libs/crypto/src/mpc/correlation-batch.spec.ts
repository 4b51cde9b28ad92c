import { describe, expect, it } from '@jest/globals';
import { CryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';
import { reconstructVector, shareVector } from '../ring/additive-sharing.js';
import { PrimeField } from '../ring/prime-field.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { ArgmaxCorrelation, dealArgmaxCorrelation } from './argmax-correlation.js';
import { ArgmaxParty, runArgmaxInMemory } from './argmax-party.js';
import {
  argmaxCorrelationBytes,
  CORRELATION_BATCH_HEADER_BYTES,
  correlationBatchBytes,
  decodeCorrelationBatch,
  encodeCorrelationBatch,
  encodeCorrelationBatchFrame,
  encodeCorrelationBatchHeader,
} from './correlation-batch.js';
import { InMemoryCorrelationLedger } from './correlation-ledger.js';

const T = 1073692673;

function codeOf(fn: () => unknown): CryptoErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (e) {
    return e instanceof CryptoError ? e.code : 'other';
  }
}

function deal(count: number, classes: number, seed: string, modulus = T): [ArgmaxCorrelation[], ArgmaxCorrelation[]] {
  const rng = new SeededRng(seed);
  const first: ArgmaxCorrelation[] = [];
  const second: ArgmaxCorrelation[] = [];
  for (let i = 0; i < count; i++) {
    const [a, b] = dealArgmaxCorrelation({ modulus, classes, rng });
    first.push(a);
    second.push(b);
  }
  return [first, second];
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

describe('correlation batches (the dealer’s wire format)', () => {
  const [halves0, halves1] = deal(3, 4, 'batch');

  it('round-trips both parties’ batches in order, and the decoded halves still compute the argmax', () => {
    const decoded0 = decodeCorrelationBatch(encodeCorrelationBatch(halves0));
    const decoded1 = decodeCorrelationBatch(encodeCorrelationBatch(halves1));
    expect(decoded0.map((h) => [h.id, h.party])).toEqual(halves0.map((h) => [h.id, 0]));
    expect(decoded1.map((h) => [h.id, h.party])).toEqual(halves1.map((h) => [h.id, 1]));
    decoded1.forEach((h, i) => expect(h.serialize()).toEqual(halves1[i].serialize()));

    const field = new PrimeField(T);
    const rng = new SeededRng('batch-shares');
    const values = [
      [5, -3, 17, 2],
      [-8, -9, -1, -1],
      [0, 0, 0, 0],
    ];
    values.forEach((v, i) => {
      const [s0, s1] = shareVector(
        field,
        v.map((x) => field.fromSigned(x)),
        rng,
      );
      const [o0, o1] = runArgmaxInMemory(
        new ArgmaxParty({ party: 0, shares: s0, correlation: decoded0[i], ledger: new InMemoryCorrelationLedger() }),
        new ArgmaxParty({ party: 1, shares: s1, correlation: decoded1[i], ledger: new InMemoryCorrelationLedger() }),
      );
      const best = v.indexOf(Math.max(...v));
      expect(Array.from(reconstructVector(field, o0, o1))).toEqual(v.map((_, j) => (j === best ? 1 : 0)));
    });
  });

  it('decodes party 1’s values as views of the batch when asked (the same values, no copy), copies otherwise', () => {
    const [, second] = deal(3, 4, 'view');
    const bytes = encodeCorrelationBatch(second);
    const copied = decodeCorrelationBatch(bytes);
    const viewed = decodeCorrelationBatch(bytes, { view: true });
    expect(viewed.map((h) => h.serialize())).toEqual(copied.map((h) => h.serialize()));
    expect(viewed[2]!.tripleC.buffer).toBe(bytes.buffer);
    expect(copied[2]!.tripleC.buffer).not.toBe(bytes.buffer);
    // At an unaligned offset the values are copied, and still the same.
    const shifted = concat(new Uint8Array(1), bytes).subarray(1);
    const unaligned = decodeCorrelationBatch(shifted, { view: true });
    expect(unaligned[0]!.tripleA.buffer).not.toBe(shifted.buffer);
    expect(unaligned.map((h) => h.serialize())).toEqual(copied.map((h) => h.serialize()));
  });

  it('streams as header then frames, byte for byte the same as the batch in memory', () => {
    const streamed = concat(
      encodeCorrelationBatchHeader(1, halves1.length),
      ...halves1.map(encodeCorrelationBatchFrame),
    );
    expect(streamed).toEqual(encodeCorrelationBatch(halves1));
  });

  it('predicts the size of a half and of a batch without dealing', () => {
    for (const [modulus, classes] of [
      [T, 2],
      [T, 10],
      [65537, 7],
      [3, 2],
      [4294967291, 5],
    ] as const) {
      const [[a], [b]] = deal(1, classes, `size-${modulus}-${classes}`, modulus);
      expect(argmaxCorrelationBytes({ modulus, classes, party: 0 })).toBe(a.serialize().length);
      expect(argmaxCorrelationBytes({ modulus, classes, party: 1 })).toBe(b.serialize().length);
      expect(correlationBatchBytes({ modulus, classes, party: 1, count: 1 })).toBe(encodeCorrelationBatch([b]).length);
    }
    expect(correlationBatchBytes({ modulus: T, classes: 4, party: 0, count: 3 })).toBe(
      encodeCorrelationBatch(halves0).length,
    );
    expect(codeOf(() => argmaxCorrelationBytes({ modulus: 15, classes: 4, party: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => argmaxCorrelationBytes({ modulus: T, classes: 257, party: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => correlationBatchBytes({ modulus: T, classes: 4, party: 1, count: 0 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('refuses to encode an empty batch, halves of both parties, or the same correlation twice', () => {
    expect(codeOf(() => encodeCorrelationBatch([]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCorrelationBatch([halves0[0], halves1[1]]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCorrelationBatch([halves1[0], halves1[0]]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCorrelationBatchHeader(2 as 0, 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCorrelationBatchHeader(0, 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeCorrelationBatchHeader(0, Number.NaN))).toBe('INVALID_ARGUMENT');
  });

  it('refuses malformed headers, counts and frames with INVALID_MESSAGE', () => {
    const good = encodeCorrelationBatch(halves0);
    const edit = (at: number, value: number) => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    const withCount = (count: number) => {
      const copy = good.slice();
      new DataView(copy.buffer).setUint32(8, count, true);
      return copy;
    };
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, CORRELATION_BATCH_HEADER_BYTES - 1),
      edit(0, 0x58), // magic
      edit(4, 2), // version
      edit(5, 2), // party
      edit(5, 1), // header says party 1, frames are party 0's
      edit(6, 1), // reserved
      withCount(0),
      withCount(2), // fewer than the frames: trailing bytes
      withCount(4), // more than the frames
      withCount(0xffff_ffff),
      concat(good, new Uint8Array([0])),
      edit(CORRELATION_BATCH_HEADER_BYTES, 0xff), // first frame's length
      edit(CORRELATION_BATCH_HEADER_BYTES + 4, 0), // first half's magic
    ];
    for (const bytes of cases) expect(codeOf(() => decodeCorrelationBatch(bytes))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodeCorrelationBatch('CNCB' as unknown as Uint8Array))).toBe('INVALID_MESSAGE');
  });

  it('refuses a batch that repeats a correlation or mixes in the other party’s half', () => {
    const repeated = concat(
      encodeCorrelationBatchHeader(0, 2),
      encodeCorrelationBatchFrame(halves0[0]),
      encodeCorrelationBatchFrame(halves0[0]),
    );
    expect(codeOf(() => decodeCorrelationBatch(repeated))).toBe('INVALID_MESSAGE');
    const mixed = concat(
      encodeCorrelationBatchHeader(0, 2),
      encodeCorrelationBatchFrame(halves0[0]),
      encodeCorrelationBatchFrame(halves1[1]),
    );
    expect(codeOf(() => decodeCorrelationBatch(mixed))).toBe('INVALID_MESSAGE');
  });

  it('sees only INVALID_MESSAGE on every truncation, random bit flips and random bytes', () => {
    const good = encodeCorrelationBatch(deal(2, 3, 'fuzz')[1]);
    for (let length = 0; length < good.length; length++) {
      expect(codeOf(() => decodeCorrelationBatch(good.subarray(0, length)))).toBe('INVALID_MESSAGE');
    }
    const rng = new SeededRng('batch-fuzz');
    for (let trial = 0; trial < 300; trial++) {
      const flipped = good.slice();
      const at = rng.randomBelow(flipped.length);
      flipped[at] ^= 1 << rng.randomBelow(8);
      // A flip inside a value may leave a valid batch (different values); a flip anywhere else must be refused.
      expect(['none', 'INVALID_MESSAGE']).toContain(codeOf(() => decodeCorrelationBatch(flipped)));
      const random = new Uint8Array(rng.randomBelow(200));
      rng.fillBytes(random);
      if (random.length >= 4) random.set([0x43, 0x4e, 0x43, 0x42], 0);
      expect(codeOf(() => decodeCorrelationBatch(random))).toBe('INVALID_MESSAGE');
    }
  });
});
