import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { correlationBatchBytes, type PartyIndex } from '@conclave/crypto';
import { ArgmaxSessionRepository, type ArgmaxSessionRecord } from '@conclave/db';
import { DealerEnv } from '../dealer.env.js';
import { DEALER_LOGGER, type DealerLogger } from '../dealer.logger.js';
import {
  mapArgmaxSession,
  mapArgmaxSessionStatus,
  type ArgmaxSessionDto,
  type ArgmaxSessionStatusDto,
  type CreateArgmaxSessionDto,
} from './dto/argmax-session.dto.js';
import { correlationBatchChunks, SESSION_SEED_BYTES } from './session-correlations.js';

/** One party's batch, ready to stream: its exact length and its chunks (dealt as they are read). */
export interface CorrelationBatchStream {
  sessionId: string;
  party: PartyIndex;
  count: number;
  bytes: number;
  chunks: AsyncGenerator<Uint8Array, void, undefined>;
}

/**
 * The dealer's argmax sessions. The guardian asks for `count` correlations between two parties; the dealer draws
 * a seed, and each party fetches its half of every correlation exactly once, regenerated from the seed. The dealer
 * never receives an input of the parties. Logs carry session, key and party ids and counts — never a seed or bytes.
 */
@Injectable()
export class ArgmaxSessionService {
  constructor(
    private readonly sessions: ArgmaxSessionRepository,
    private readonly config: DealerEnv,
    @Inject(DEALER_LOGGER) private readonly logger: DealerLogger,
  ) {}

  /** Creates the session, or returns the one with this id when the request is the same (idempotent retries). */
  async create(
    request: CreateArgmaxSessionDto,
    caller: Principal,
  ): Promise<{ created: boolean; session: ArgmaxSessionDto }> {
    const { id, modulus, classes, count } = request;
    const parties: [string, string] = [request.parties[0], request.parties[1]];
    if (count > this.config.DEALER_MAX_SESSION_COUNT) {
      throw new DomainError('VALIDATION_FAILED', `count must be at most ${this.config.DEALER_MAX_SESSION_COUNT}`, {
        fields: [{ field: 'count', problems: [`must be at most ${this.config.DEALER_MAX_SESSION_COUNT}`] }],
      });
    }
    // The teacher's half carries the Beaver triples; its size grows as classes^2 (33 MB per 256-class correlation).
    const batchBytes = correlationBatchBytes({ modulus, classes, count, party: 1 });
    if (batchBytes > this.config.DEALER_MAX_BATCH_BYTES) {
      const problem = `with ${classes} classes the batch of half 1 would be ${batchBytes} bytes, above the limit of ${this.config.DEALER_MAX_BATCH_BYTES} (DEALER_MAX_BATCH_BYTES): ask for fewer correlations per session`;
      throw new DomainError('VALIDATION_FAILED', `count: ${problem}`, {
        fields: [{ field: 'count', problems: [problem] }],
      });
    }
    const seed = randomBytes(SESSION_SEED_BYTES);
    let outcome: { created: boolean; session: ArgmaxSessionRecord };
    try {
      outcome = await this.sessions.create({
        id,
        modulus,
        classes,
        count,
        parties,
        seed,
        createdByKeyId: caller.keyId,
      });
    } finally {
      seed.fill(0);
    }
    const { created, session } = outcome;
    if (!created && !sameRequest(session, { modulus, classes, count, parties })) {
      this.logger.warn({ sessionId: id, keyId: caller.keyId }, 'argmax session: id reused with a different request');
      throw new DomainError('SESSION_CONFLICT', `Argmax session ${id} exists with a different request`);
    }
    this.logger.info(
      { sessionId: id, count, classes, party0: parties[0], party1: parties[1], keyId: caller.keyId, created },
      created ? 'argmax session created' : 'argmax session repeated (idempotent)',
    );
    return { created, session: mapArgmaxSession(session) };
  }

  async status(id: string): Promise<ArgmaxSessionStatusDto> {
    return mapArgmaxSessionStatus(await this.found(id));
  }

  /**
   * Hands out a party's half: only to a key whose partyId is that party's; the consumption is committed (and the
   * seed erased when it was the last half) before the batch is produced, so a half never comes out twice — a
   * batch whose delivery fails is lost, never repeated (the guardian opens a new session).
   */
  async takeHalf(id: string, party: PartyIndex, caller: Principal): Promise<CorrelationBatchStream> {
    const session = await this.found(id);
    if (caller.partyId === null || caller.partyId.toLowerCase() !== session.parties[party]) {
      this.logger.warn(
        { sessionId: id, party, keyId: caller.keyId, partyId: caller.partyId },
        'argmax half refused: the key does not act for this party',
      );
      throw new DomainError('FORBIDDEN', `This key does not act for party ${party} of argmax session ${id}`);
    }
    const claim = await this.sessions.claimHalf({ sessionId: id, party }, caller.keyId);
    if (claim.outcome === 'not-found') throw notFound(id);
    if (claim.outcome === 'consumed') {
      this.logger.warn(
        { sessionId: id, party, keyId: caller.keyId, partyId: caller.partyId },
        'argmax half refused: already handed out',
      );
      throw new DomainError('CORRELATION_CONSUMED', `Half ${party} of argmax session ${id} was already handed out`);
    }
    const shape = { modulus: session.modulus, classes: session.classes, count: session.count };
    const bytes = correlationBatchBytes({ ...shape, party });
    const chunks = this.logged(
      { sessionId: id, party, count: session.count, bytes },
      correlationBatchChunks(claim.seed, shape, party),
    );
    claim.seed.fill(0);
    this.logger.info(
      { sessionId: id, party, partyId: caller.partyId, keyId: caller.keyId, count: session.count, bytes },
      'argmax half handed out',
    );
    if (claim.seedErased) this.logger.info({ sessionId: id }, 'argmax session complete: seed erased');
    return { sessionId: id, party, count: session.count, bytes, chunks };
  }

  /** Passes the chunks on and logs how the delivery ended (the client may go away; the half stays consumed). */
  private async *logged(
    fields: { sessionId: string; party: PartyIndex; count: number; bytes: number },
    chunks: AsyncGenerator<Uint8Array, void, undefined>,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    let sentBytes = 0;
    let failed = false;
    try {
      for await (const chunk of chunks) {
        yield chunk;
        sentBytes += chunk.length;
      }
    } catch (error) {
      failed = true;
      this.logger.error({ ...fields, sentBytes, err: error }, 'argmax half: producing the batch failed');
      throw error;
    } finally {
      if (sentBytes === fields.bytes) this.logger.info({ ...fields, sentBytes }, 'argmax half delivered');
      else if (!failed) this.logger.warn({ ...fields, sentBytes }, 'argmax half cut short: the client went away');
    }
  }

  private async found(id: string): Promise<ArgmaxSessionRecord> {
    const session = await this.sessions.find(id);
    if (!session) throw notFound(id);
    return session;
  }
}

function notFound(id: string): DomainError {
  return new DomainError('NOT_FOUND', `No argmax session ${id}`);
}

function sameRequest(
  session: ArgmaxSessionRecord,
  request: { modulus: number; classes: number; count: number; parties: [string, string] },
): boolean {
  return (
    session.modulus === request.modulus &&
    session.classes === request.classes &&
    session.count === request.count &&
    session.parties[0] === request.parties[0] &&
    session.parties[1] === request.parties[1]
  );
}
