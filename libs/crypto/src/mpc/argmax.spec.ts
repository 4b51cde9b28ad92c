import { describe, expect, it } from '@jest/globals';
import { CryptoError, isCryptoError, type CryptoErrorCode } from '../errors/crypto-error.js';
import { reconstructVector, shareVector } from '../ring/additive-sharing.js';
import { PrimeField } from '../ring/prime-field.js';
import type { Rng } from '../rng/rng.js';
import { SeededRng } from '../rng/seeded-rng.js';
import { chiSquareCritical, chiSquareUniform } from '../testing/chi-square.js';
import { ArgmaxCorrelation, dealArgmaxCorrelation, dealArgmaxCorrelationHalf } from './argmax-correlation.js';
import { ARGMAX_MESSAGE_HEADER_BYTES } from './argmax-message.js';
import { ArgmaxParty, runArgmaxInMemory } from './argmax-party.js';
import { argmaxPlan } from './argmax-plan.js';
import { InMemoryCorrelationLedger } from './correlation-ledger.js';

const T = 1073692673;
const field = new PrimeField(T);

function expectCode(fn: () => unknown, code: CryptoErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

interface Run {
  oneHot: number[];
  shares: [Uint32Array, Uint32Array];
  parties: [ArgmaxParty, ArgmaxParty];
}

/** Shares `values` (signed), runs both parties through serialised correlations, reconstructs the one-hot vector. */
function secureArgmax(values: readonly number[], rng: Rng, modulus = T): Run {
  const f = new PrimeField(modulus);
  const [s0, s1] = shareVector(
    f,
    values.map((v) => f.fromSigned(v)),
    rng,
  );
  const [c0, c1] = dealArgmaxCorrelation({ modulus, classes: values.length, rng });
  const parties: [ArgmaxParty, ArgmaxParty] = [
    new ArgmaxParty({
      party: 0,
      shares: s0,
      correlation: ArgmaxCorrelation.deserialize(c0.serialize()),
      ledger: new InMemoryCorrelationLedger(),
    }),
    new ArgmaxParty({
      party: 1,
      shares: s1,
      correlation: ArgmaxCorrelation.deserialize(c1.serialize()),
      ledger: new InMemoryCorrelationLedger(),
    }),
  ];
  const shares = runArgmaxInMemory(parties[0], parties[1]);
  return { oneHot: Array.from(reconstructVector(f, shares[0], shares[1])), shares, parties };
}

function plainArgmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i; // ties: lowest index
  return best;
}

function oneHot(k: number, index: number): number[] {
  return Array.from({ length: k }, (_, i) => (i === index ? 1 : 0));
}

describe('secure argmax (two parties, dealer-assisted)', () => {
  it('matches the plaintext argmax on random vectors with negative values, up to |v| < t / 4', () => {
    const rng = new SeededRng('argmax-random');
    const bound = Math.floor(T / 4) - 1;
    for (let trial = 0; trial < 60; trial++) {
      const k = 2 + (trial % 11);
      const scale = [1000, 2 ** 20, bound][trial % 3];
      const values = Array.from({ length: k }, () => rng.randomBelow(2 * scale + 1) - scale);
      expect(secureArgmax(values, rng).oneHot).toEqual(oneHot(k, plainArgmax(values)));
    }
  });

  it('breaks ties towards the lowest index', () => {
    const rng = new SeededRng('argmax-ties');
    const cases: [number[], number][] = [
      [[5, 5, 5, 5], 0],
      [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0],
      [[-3, 7, 2, 7, 7], 1],
      [[-9, -9, -10], 0],
      [[1, 2, 3, 3], 2],
      [[-1, -1], 0],
      [[Math.floor(T / 4) - 1, -(Math.floor(T / 4) - 1), Math.floor(T / 4) - 1], 0],
    ];
    for (const [values, winner] of cases)
      expect(secureArgmax(values, rng).oneHot).toEqual(oneHot(values.length, winner));
  });

  it('handles one class (no rounds) and two classes', () => {
    const rng = new SeededRng('argmax-small');
    const single = secureArgmax([-42], rng);
    expect(single.oneHot).toEqual([1]);
    expect(single.parties[0].stats.rounds).toBe(0);
    expect(secureArgmax([3, 4], rng).oneHot).toEqual([0, 1]);
    expect(secureArgmax([4, 3], rng).oneHot).toEqual([1, 0]);
  });

  it("makes each party's output shares and every value it sends uniformly random (chi-square)", () => {
    const rng = new SeededRng('argmax-uniform');
    const values = [10, 50, 50, -7, 3]; // a fixed input: any dependence on it would show
    const outputs: [number[], number[]] = [[], []];
    const sent: number[] = [];
    for (let run = 0; run < 40; run++) {
      const [s0, s1] = shareVector(
        field,
        values.map((v) => field.fromSigned(v)),
        rng,
      );
      const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes: values.length, rng });
      const p0 = new ArgmaxParty({ party: 0, shares: s0, correlation: c0, ledger: new InMemoryCorrelationLedger() });
      const p1 = new ArgmaxParty({ party: 1, shares: s1, correlation: c1, ledger: new InMemoryCorrelationLedger() });
      let a = p0.start();
      let b = p1.start();
      while (a.kind === 'send' && b.kind === 'send') {
        const view = new DataView(a.message.buffer, a.message.byteOffset, a.message.byteLength);
        for (let i = ARGMAX_MESSAGE_HEADER_BYTES; i < a.message.length; i += 4) sent.push(view.getUint32(i, true));
        const next = p0.receive(b.message);
        b = p1.receive(a.message);
        a = next;
      }
      if (a.kind !== 'done' || b.kind !== 'done') throw new Error('parties out of step');
      expect(Array.from(reconstructVector(field, a.oneHotShares, b.oneHotShares))).toEqual([0, 1, 0, 0, 0]);
      outputs[0].push(...a.oneHotShares);
      outputs[1].push(...b.oneHotShares);
    }
    for (const out of outputs) expect(chiSquareUniform(out, T, 8)).toBeLessThan(chiSquareCritical(7));
    // Every value a party sends is its share of a value masked by fresh dealer randomness.
    expect(chiSquareUniform(sent, T, 64)).toBeLessThan(chiSquareCritical(63));
  });

  it('refuses to reuse correlated randomness: the same object, a deserialised copy, and the peer half', () => {
    const rng = new SeededRng('argmax-reuse');
    const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes: 3, rng });
    const bytes = c0.serialize();
    const ledger = new InMemoryCorrelationLedger();
    const [s0] = shareVector(field, [1, 2, 3], rng);
    new ArgmaxParty({ party: 0, shares: s0, correlation: c0, ledger }).start();
    expectCode(() => new ArgmaxParty({ party: 0, shares: s0, correlation: c0, ledger }).start(), 'CORRELATION_REUSED');
    const copy = ArgmaxCorrelation.deserialize(bytes);
    expectCode(
      () => new ArgmaxParty({ party: 0, shares: s0, correlation: copy, ledger }).start(),
      'CORRELATION_REUSED',
    );
    expect(ledger.has(c0.id)).toBe(true);
    expectCode(() => new ArgmaxParty({ party: 0, shares: s0, correlation: c1, ledger }), 'CORRELATION_MISMATCH');
  });

  it('refuses messages of another correlation, replayed or reordered rounds, bad lengths and out-of-range values', () => {
    const rng = new SeededRng('argmax-messages');
    const start = (): { p0: ArgmaxParty; first1: Uint8Array; other: Uint8Array } => {
      const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes: 4, rng });
      const [d0, d1] = dealArgmaxCorrelation({ modulus: T, classes: 4, rng });
      const [s0, s1] = shareVector(field, [4, 3, 2, 1], rng);
      const p0 = new ArgmaxParty({ party: 0, shares: s0, correlation: c0, ledger: new InMemoryCorrelationLedger() });
      p0.start();
      const ledger1 = new InMemoryCorrelationLedger();
      const p1 = new ArgmaxParty({ party: 1, shares: s1, correlation: c1, ledger: ledger1 });
      const first1 = (p1.start() as { message: Uint8Array }).message;
      const q1 = new ArgmaxParty({ party: 1, shares: s1, correlation: d1, ledger: ledger1 });
      void d0;
      return { p0, first1, other: (q1.start() as { message: Uint8Array }).message };
    };
    {
      const { p0, other } = start();
      expectCode(() => p0.receive(other), 'CORRELATION_MISMATCH');
      expectCode(() => p0.receive(other), 'PROTOCOL_STATE'); // failed for good
    }
    {
      const { p0, first1 } = start();
      const step = p0.receive(first1);
      expect(step.kind).toBe('send');
      expectCode(() => p0.receive(first1), 'INVALID_MESSAGE'); // round 1 replayed in round 2
    }
    {
      const { p0, first1 } = start();
      expectCode(() => p0.receive(first1.subarray(0, first1.length - 4)), 'INVALID_MESSAGE');
    }
    {
      const { p0, first1 } = start();
      const tampered = first1.slice();
      new DataView(tampered.buffer).setUint32(ARGMAX_MESSAGE_HEADER_BYTES, T, true);
      expectCode(() => p0.receive(tampered), 'INVALID_MESSAGE');
    }
    {
      const { p0 } = start();
      expectCode(() => p0.receive(new Uint8Array(3)), 'INVALID_MESSAGE');
    }
  });

  it('stops with CORRELATION_EXHAUSTED when the dealer gave too few triples', () => {
    const rng = new SeededRng('argmax-short');
    const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes: 3, rng });
    const cut = (c: ArgmaxCorrelation, party: 0 | 1): ArgmaxCorrelation =>
      ArgmaxCorrelation.fromValues({
        id: c.id,
        field: c.field,
        plan: c.plan,
        masks: c.masks,
        maskBits: c.maskBits,
        party,
        tripleA: c.tripleA.slice(0, 5),
        tripleB: c.tripleB.slice(0, 5),
        tripleC: c.tripleC.slice(0, 5),
      });
    const [s0, s1] = shareVector(field, [1, 2, 3], rng);
    const p0 = new ArgmaxParty({
      party: 0,
      shares: s0,
      correlation: cut(c0, 0),
      ledger: new InMemoryCorrelationLedger(),
    });
    const p1 = new ArgmaxParty({
      party: 1,
      shares: s1,
      correlation: cut(c1, 1),
      ledger: new InMemoryCorrelationLedger(),
    });
    let thrown: unknown;
    try {
      runArgmaxInMemory(p0, p1);
    } catch (e) {
      thrown = e;
    }
    expect(isCryptoError(thrown, 'CORRELATION_EXHAUSTED')).toBe(true);
  });

  it('serialises the correlation: party 0 as a 32-byte seed, party 1 explicitly; malformed input is refused', () => {
    const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes: 10, rng: new SeededRng('dealer') });
    expect(c0.serialize().length).toBe(64);
    const again = ArgmaxCorrelation.deserialize(c0.serialize());
    expect(Array.from(again.tripleC.subarray(0, 8))).toEqual(Array.from(c0.tripleC.subarray(0, 8)));
    // Triples are consistent: (a0 + a1)(b0 + b1) = c0 + c1.
    for (let i = 0; i < 50; i++) {
      const a = field.add(c0.tripleA[i], c1.tripleA[i]);
      const b = field.add(c0.tripleB[i], c1.tripleB[i]);
      expect(field.add(c0.tripleC[i], c1.tripleC[i])).toBe(field.mul(a, b));
    }
    const bytes = c1.serialize();
    expectCode(() => ArgmaxCorrelation.deserialize(bytes.subarray(0, bytes.length - 1)), 'INVALID_MESSAGE');
    const badValue = bytes.slice();
    new DataView(badValue.buffer).setUint32(40, 0xffffffff, true);
    expectCode(() => ArgmaxCorrelation.deserialize(badValue), 'INVALID_MESSAGE');
    const badModulus = bytes.slice();
    new DataView(badModulus.buffer).setUint32(8, 1073692671, true);
    expectCode(() => ArgmaxCorrelation.deserialize(badModulus), 'INVALID_MESSAGE');
    // The seed alone is not enough to predict party 1's values without the dealer's randomness.
    expect(c1.serialize().length).toBeGreaterThan(40_000);
  });

  it('deals either half alone exactly as the pair from the same rng stream (party 0: id and seed only)', () => {
    for (const classes of [2, 10]) {
      const [c0, c1] = dealArgmaxCorrelation({ modulus: T, classes, rng: new SeededRng(`half-${classes}`) });
      const h0 = dealArgmaxCorrelationHalf({ modulus: T, classes, rng: new SeededRng(`half-${classes}`), party: 0 });
      const h1 = dealArgmaxCorrelationHalf({ modulus: T, classes, rng: new SeededRng(`half-${classes}`), party: 1 });
      expect(h0.party).toBe(0);
      expect(h1.party).toBe(1);
      expect(h0.serialize()).toEqual(c0.serialize());
      expect(h1.serialize()).toEqual(c1.serialize());
      // The halves work together, and a seed half expands to the same values whether or not it was serialised.
      expect(Array.from(h0.tripleA)).toEqual(Array.from(c0.tripleA));
      const [s0, s1] = shareVector(
        field,
        Array.from({ length: classes }, (_, i) => field.fromSigned(i === classes - 1 ? 7 : -i)),
        new SeededRng('half-shares'),
      );
      const ledger = new InMemoryCorrelationLedger();
      const [o0, o1] = runArgmaxInMemory(
        new ArgmaxParty({ party: 0, shares: s0, correlation: h0, ledger }),
        new ArgmaxParty({ party: 1, shares: s1, correlation: h1, ledger: new InMemoryCorrelationLedger() }),
      );
      expect(Array.from(reconstructVector(field, o0, o1))).toEqual(
        Array.from({ length: classes }, (_, i) => (i === classes - 1 ? 1 : 0)),
      );
    }
    expectCode(() => dealArgmaxCorrelationHalf({ modulus: T, classes: 3, party: 2 as 0 }), 'INVALID_ARGUMENT');
  });

  it('costs 11 rounds and about 27 KB per party for 10 classes over a 30-bit prime', () => {
    const plan = argmaxPlan(10, 30);
    expect(plan.rounds).toBe(11);
    const { parties } = secureArgmax([3, -1, 4, 1, -5, 9, 2, -6, 5, 3], new SeededRng('argmax-cost'));
    for (const party of parties) {
      expect(party.stats.rounds).toBe(11);
      expect(party.stats.bytesSent).toBe(party.stats.bytesReceived);
      expect(party.stats.bytesSent).toBe(11 * ARGMAX_MESSAGE_HEADER_BYTES + 4 * (45 + 2 * plan.tripleCount));
    }
  });
});
