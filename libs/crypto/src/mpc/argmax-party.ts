import { CryptoError, isCryptoError } from '../errors/crypto-error.js';
import type { ArgmaxCorrelation, PartyIndex } from './argmax-correlation.js';
import { decodeArgmaxMessage, encodeArgmaxMessage } from './argmax-message.js';
import { argmaxProgram, type ArgmaxProgram } from './argmax-program.js';
import type { CorrelationLedger } from './correlation-ledger.js';

export interface ArgmaxPartyOptions {
  readonly party: PartyIndex;
  /** This party's additive shares in Z_p of the k values; the true values must satisfy |v| < p / 4 (centred). */
  readonly shares: ArrayLike<number>;
  /** This party's half of the dealer's output for this argmax. */
  readonly correlation: ArgmaxCorrelation;
  /** Records consumed correlation ids; a reused id is refused with CORRELATION_REUSED. */
  readonly ledger: CorrelationLedger;
}

export type ArgmaxStep =
  | { readonly kind: 'send'; readonly message: Uint8Array }
  | { readonly kind: 'done'; readonly oneHotShares: Uint32Array };

export interface ArgmaxStats {
  /** Messages this party sent (one per round). */
  readonly rounds: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

type State = 'new' | 'awaiting' | 'done' | 'failed';

/**
 * One party of the two-party secure argmax as a pure state machine: `start()` gives the first message, every
 * `receive(peerMessage)` consumes the peer's message of the current round and gives this party's next message,
 * until `done` with this party's shares of the one-hot vector of the argmax. Both parties send in every round
 * (messages of a round cross), so the transport only has to deliver them in order. No I/O; messages are bytes.
 * Any invalid message fails the party for good (its correlation is spent and must not be retried).
 */
export class ArgmaxParty {
  private state: State = 'new';
  private program: ArgmaxProgram | undefined;
  private pending: Uint32Array | undefined;
  private round = 0;
  private sent = 0;
  private received = 0;
  private output: Uint32Array | undefined;

  constructor(private readonly options: ArgmaxPartyOptions) {
    const { party, shares, correlation } = options;
    if (party !== 0 && party !== 1) throw new CryptoError('INVALID_ARGUMENT', 'argmax: party must be 0 or 1');
    if (correlation.party !== party) {
      throw new CryptoError('CORRELATION_MISMATCH', "argmax: the correlation is the other party's half");
    }
    if (shares.length !== correlation.plan.classes) {
      throw new CryptoError('INVALID_ARGUMENT', 'argmax: share count differs from the correlation');
    }
    correlation.field.assertVector(shares, 'argmax shares');
  }

  get stats(): ArgmaxStats {
    return { rounds: this.round, bytesSent: this.sent, bytesReceived: this.received };
  }

  get correlationId(): string {
    return this.options.correlation.id;
  }

  /** Shares of the one-hot vector once done. */
  get result(): Uint32Array | undefined {
    return this.output?.slice();
  }

  start(): ArgmaxStep {
    if (this.state !== 'new') throw new CryptoError('PROTOCOL_STATE', 'argmax: already started');
    const { correlation, ledger, party, shares } = this.options;
    this.state = 'failed';
    correlation.markConsumed();
    ledger.claim(correlation.id);
    this.program = argmaxProgram({ party, shares: Uint32Array.from(shares), correlation });
    return this.advance(undefined);
  }

  receive(message: Uint8Array): ArgmaxStep {
    if (this.state !== 'awaiting' || !this.pending) {
      throw new CryptoError('PROTOCOL_STATE', `argmax: not expecting a message (state ${this.state})`);
    }
    const { correlation, party } = this.options;
    const field = correlation.field;
    let peer: Uint32Array;
    try {
      peer = decodeArgmaxMessage(message, {
        sender: party === 0 ? 1 : 0,
        round: this.round,
        correlationId: correlation.id,
        count: this.pending.length,
        field,
      }).values;
    } catch (e) {
      this.fail();
      throw e;
    }
    this.received += message.length;
    const opened = new Uint32Array(peer.length);
    for (let i = 0; i < peer.length; i++) opened[i] = field.add(this.pending[i], peer[i]);
    return this.advance(opened);
  }

  private advance(opened: Uint32Array | undefined): ArgmaxStep {
    let step: IteratorResult<Uint32Array, Uint32Array>;
    try {
      step = opened === undefined ? this.program!.next(new Uint32Array(0)) : this.program!.next(opened);
    } catch (e) {
      this.fail();
      if (isCryptoError(e)) throw e;
      throw new CryptoError('PROTOCOL_STATE', 'argmax: program failed', { cause: e });
    }
    if (step.done) {
      this.state = 'done';
      this.pending = undefined;
      this.output = step.value;
      return { kind: 'done', oneHotShares: step.value.slice() };
    }
    this.state = 'awaiting';
    this.pending = step.value;
    this.round++;
    const message = encodeArgmaxMessage({
      sender: this.options.party,
      round: this.round,
      correlationId: this.options.correlation.id,
      values: step.value,
    });
    this.sent += message.length;
    return { kind: 'send', message };
  }

  private fail(): void {
    this.state = 'failed';
    this.pending = undefined;
    this.program = undefined;
  }
}

/** Runs both parties against each other in memory (tests, single-process simulations). Returns their outputs. */
export function runArgmaxInMemory(first: ArgmaxParty, second: ArgmaxParty): [Uint32Array, Uint32Array] {
  let a = first.start();
  let b = second.start();
  while (a.kind === 'send' && b.kind === 'send') {
    const next = first.receive(b.message);
    b = second.receive(a.message);
    a = next;
  }
  if (a.kind !== 'done' || b.kind !== 'done') throw new CryptoError('PROTOCOL_STATE', 'argmax: parties out of step');
  return [a.oneHotShares, b.oneHotShares];
}
