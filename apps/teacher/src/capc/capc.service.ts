import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import type { Logger } from 'pino';
import { DomainError } from '@conclave/common';
import {
  CAPC_MAX_BATCH,
  capcErrorCodeForCrypto,
  capcQueryPacking,
  decodeCanonicalBase64,
  decodeCapcFrames,
  encodeBase64,
  encodeU32,
  type CapcEvaluateRequest,
  type CapcFramed,
  type CapcFramedEvaluateRequestHeader,
  type CapcExtractorDescriptor,
  type CapcEvaluateResponse,
  type CapcTeacherRoundResponse,
} from '@conclave/contracts';
import { publicFeatureExtractorById, quantizeLinearHead } from '@conclave/ml';
import {
  ArgmaxParty,
  BfvLinearTeacher,
  decodeCorrelationBatch,
  HeContext,
  heParametersFromJson,
  InMemoryCorrelationLedger,
  isCryptoError,
  queryStride,
  scatterPackedShare,
  type HeParametersJson,
  type HePublicKey,
} from '@conclave/crypto';
import { TeacherEnv } from '../teacher.env.js';
import { TEACHER_LOGGER } from '../teacher.logger.js';
import { partitionsPerProduct, prepareProducts } from './capc-head.packing.js';
import { CAPC_HEAD_SOURCE, type CapcHeadSource } from './capc-head.source.js';
import { CapcSessionStore, type CapcSession } from './capc-session.store.js';
import { CapcFramedEvaluateHeaderDto } from './dto/capc.dto.js';
import { fetchCorrelationHalves } from './dealer-halves.client.js';

/** Largest query ciphertext (as the JSON route's 1,400,000 base64 characters) and public key accepted. */
const CAPC_MAX_QUERY_BYTES = 1 << 20;
const CAPC_MAX_FRAMED_KEY_BYTES = 1_500_000;
/** Largest round message (as the JSON route's 16,000,000 base64 characters). */
const CAPC_MAX_ROUND_BYTES = 12_000_000;
/** A framed round request: one message and a small header. */
export const CAPC_MAX_FRAMED_ROUND_BYTES = 64 * 1024 + CAPC_MAX_ROUND_BYTES;
/** A framed evaluate request: the header, the public key and CAPC_MAX_BATCH queries at most. */
export const CAPC_MAX_FRAMED_EVALUATE_BYTES =
  64 * 1024 + CAPC_MAX_FRAMED_KEY_BYTES + CAPC_MAX_BATCH * CAPC_MAX_QUERY_BYTES;

/** Prepared head layouts kept at once (per dataset, heads, HE parameters and queries per ciphertext). */
const PREPARED_LAYOUTS = 4;

interface PreparedHeads {
  groups: BfvLinearTeacher[];
  packing: number[];
}

/**
 * The teacher service's side of confidential (capc) mode: evaluates a batch of encrypted queries with every
 * partition's head (BFV, several partitions packed into one product), masks and re-randomises every response (libs/crypto),
 * keeps its own logit shares in memory, then runs its side of each (query, partition) secure argmax with the correlation
 * halves it fetches from the dealer with its own key, and finally gives the guardian only the sum over its partitions
 * of its one-hot shares per query. It never sees a query (ciphertexts under the querying party's key), nor a vote.
 */
@Injectable()
export class CapcService implements OnApplicationShutdown {
  private readonly publicKeys = new Map<string, HePublicKey>();
  private readonly prepared = new Map<string, PreparedHeads>();
  private readonly ledger = new InMemoryCorrelationLedger();
  private readonly sessions: CapcSessionStore;
  private dealer: { url: string; key: string } | null;

  constructor(
    @Inject(CAPC_HEAD_SOURCE) private readonly heads: CapcHeadSource,
    private readonly config: TeacherEnv,
    @Inject(TEACHER_LOGGER) private readonly logger: Logger,
  ) {
    this.sessions = new CapcSessionStore({ maxSessions: config.CAPC_MAX_SESSIONS, ttlMs: config.CAPC_SESSION_TTL_MS });
    this.dealer = config.DEALER_URL && config.DEALER_KEY ? { url: config.DEALER_URL, key: config.DEALER_KEY } : null;
  }

  /** The owner points its service at the consortium's dealer with the key the dealer issued to it. */
  setDealer(url: string, key: string): void {
    this.dealer = { url: url.replace(/\/+$/, ''), key };
  }

  /** The JSON route: base64 in, base64 out (the same work and refusals as the framed route). */
  async evaluate(request: CapcEvaluateRequest): Promise<CapcEvaluateResponse> {
    const answer = await this.evaluateBytes(
      request,
      decodeCanonicalBase64(request.publicKey),
      (request.queries ?? []).map((encoded) => decodeCanonicalBase64(encoded)),
    );
    return { ...answer, responses: answer.responses.map((row) => row.map((r) => encodeBase64(r))) };
  }

  /**
   * The framed route (libs/contracts capc-frames): header = the request without its public key and queries, frames
   * = [public key, ...queries]; answers header = the response without its responses, frames = the responses
   * (query-major, then packing group).
   */
  async evaluateFramed(body: Uint8Array): Promise<CapcFramed> {
    const decoded = decodeCapcFrames(body, {
      maxFrames: CAPC_MAX_BATCH + 1,
      maxFrameBytes: CAPC_MAX_FRAMED_KEY_BYTES,
    });
    if (!decoded.ok) {
      if (decoded.reason === 'too-large') throw new DomainError('PAYLOAD_TOO_LARGE', decoded.message);
      throw new DomainError('MALFORMED_REQUEST', `Not a framed evaluate request: ${decoded.message}`);
    }
    const header = await validatedFramedHeader(decoded.header);
    const [publicKey, ...queries] = decoded.frames;
    const tooLarge = queries.findIndex((q) => q.length > CAPC_MAX_QUERY_BYTES);
    if (tooLarge >= 0) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `queries[${tooLarge}]: a query ciphertext is larger than 1 MiB`);
    }
    const { responses, ...rest } = await this.evaluateBytes(header, publicKey ?? null, queries);
    return { header: rest, frames: responses.flat() };
  }

  /**
   * A null public key or query stands for one that was not base64 (refused when it is reached, as always). Each
   * query ciphertext packs `queriesPerCiphertext` queries (contracts CapcQueryPacking): every product answers all of
   * them, and the shares are laid out per query (query-major, partition-minor) whatever the packing.
   */
  private async evaluateBytes(
    request: CapcFramedEvaluateRequestHeader,
    publicKeyBytes: Uint8Array | null,
    queries: Array<Uint8Array | null>,
  ): Promise<Omit<CapcEvaluateResponse, 'responses'> & { responses: Uint8Array[][] }> {
    if (queries.length < 1 || queries.length > CAPC_MAX_BATCH) {
      throw new DomainError('VALIDATION_FAILED', `A batch holds 1 to ${CAPC_MAX_BATCH} queries`);
    }
    const layout = capcQueryPacking(queries.length, request);
    if (!layout.ok) throw new DomainError('VALIDATION_FAILED', `${layout.field}: ${layout.message}`);
    const { queriesPerCiphertext: perCiphertext, queryCount: count } = layout;
    const classes = request.classes;
    return this.guard(async () => {
      const context = await this.context(request.heParameters);
      const modulus = context.plainModulus!;
      const publicKey = this.publicKey(context, publicKeyBytes);
      const prepared = await this.prepare(context, request, perCiphertext);
      const partitions = prepared.packing.reduce((a, b) => a + b, 0);
      const shares = new Array<Uint32Array>(count * partitions);
      const responses: Uint8Array[][] = [];
      for (const [c, query] of queries.entries()) {
        // The event loop gets a turn between ciphertexts: the argmax rounds of another batch (a querying party keeps
        // more than one in flight) are answered while this batch is evaluated, not after it.
        if (c > 0) await nextTurn();
        if (!query) throw new DomainError('INVALID_CIPHERTEXT', `queries[${c}] is not base64`, { query: c });
        const row: Uint8Array[] = [];
        let first = 0; // this group's first partition
        for (const [g, head] of prepared.groups.entries()) {
          const { response, share } = head.evaluate(query, publicKey);
          row.push(response);
          const size = prepared.packing[g]!;
          scatterPackedShare(share, shares, {
            firstQuery: c * perCiphertext,
            count,
            queriesPerCiphertext: perCiphertext,
            groupSize: size,
            firstPartition: first,
            partitions,
            classes,
          });
          first += size;
        }
        responses.push(row);
      }
      this.sessions.create({
        id: request.sessionId,
        jobId: request.jobId,
        queries: count,
        partitions,
        classes: request.classes,
        modulus,
        shares,
        parties: null,
        starting: null,
        outgoing: null,
        round: 0,
        done: false,
        failed: false,
      });
      return { sessionId: request.sessionId, partitions, packing: prepared.packing, responses, modulus };
    });
  }

  /**
   * Called by the guardian once the dealer session of this batch exists: fetches this service's halves and starts
   * its argmaxes in the background, while the querying party decrypts its responses and fetches its own halves, so
   * that round 1 finds them ready. Answers at once; a failure is reported by round 1 (and fails the session).
   */
  prepareSession(sessionId: string): { sessionId: string } {
    const session = this.sessions.get(sessionId);
    if (session.failed || session.done || session.round > 0) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', 'The session has started its rounds');
    }
    this.starting(session);
    return { sessionId };
  }

  /** The JSON route: base64 in, base64 out. */
  async round(sessionId: string, round: number, encoded: string): Promise<CapcTeacherRoundResponse> {
    const answer = await this.roundBytes(sessionId, round, decodeCanonicalBase64(encoded));
    const response: CapcTeacherRoundResponse = { round, message: encodeBase64(answer.message) };
    if (answer.shareSums) response.shareSums = encodeBase64(answer.shareSums);
    return response;
  }

  /**
   * The framed route: one frame, this round's messages (header {}); answers header {round, shareSums?} (share sums
   * as base64, after the last round) and one frame, this service's messages.
   */
  async roundFramed(sessionId: string, round: number, body: Uint8Array): Promise<CapcFramed> {
    const decoded = decodeCapcFrames(body, { maxFrames: 1, maxFrameBytes: CAPC_MAX_ROUND_BYTES });
    if (!decoded.ok) {
      if (decoded.reason === 'too-large') throw new DomainError('PAYLOAD_TOO_LARGE', decoded.message);
      throw new DomainError('MALFORMED_REQUEST', `Not a framed round: ${decoded.message}`);
    }
    if (decoded.frames.length !== 1 || Object.keys(decoded.header).length !== 0) {
      throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'A framed round holds one message and an empty header');
    }
    const answer = await this.roundBytes(sessionId, round, decoded.frames[0]!);
    const header: Omit<CapcTeacherRoundResponse, 'message'> = { round };
    if (answer.shareSums) header.shareSums = encodeBase64(answer.shareSums);
    return { header, frames: [answer.message] };
  }

  /** A null message stands for one that was not base64. */
  private async roundBytes(
    sessionId: string,
    round: number,
    message: Uint8Array | null,
  ): Promise<{ message: Uint8Array; shareSums?: Uint8Array }> {
    const session = this.sessions.get(sessionId);
    if (session.failed || session.done) throw new DomainError('PROTOCOL_OUT_OF_ORDER', 'The session is over');
    if (round !== session.round + 1) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `Round ${round} is not the session's next round`);
    }
    if (!message) throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'message must be base64');
    // Claimed before any await: a second request for the same round is refused, not run alongside.
    session.round = round;
    try {
      return await this.guard(async () => {
        if (round === 1) await this.starting(session);
        const instances = session.parties!.length;
        if (message.length === 0 || message.length % instances !== 0) {
          throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'message length does not fit the batch');
        }
        const size = message.length / instances;
        const outgoing = session.outgoing!;
        const next: Uint8Array[] = [];
        const results: Uint32Array[] = [];
        session.parties!.forEach((party, i) => {
          const step = party.receive(message.subarray(i * size, (i + 1) * size));
          if (step.kind === 'send') next.push(step.message);
          else results.push(step.oneHotShares);
        });
        if (next.length > 0 && results.length > 0) {
          throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'argmax instances out of step');
        }
        const response: { message: Uint8Array; shareSums?: Uint8Array } = { message: Buffer.concat(outgoing) };
        if (results.length > 0) {
          response.shareSums = encodeU32(sumPerQuery(session, results));
          session.done = true;
          this.sessions.delete(session.id);
        } else {
          session.outgoing = next;
        }
        return response;
      });
    } catch (error) {
      // Correlated randomness is single-use: a session that failed a round is over for good.
      session.failed = true;
      session.shares = null;
      this.sessions.delete(session.id);
      throw error;
    }
  }

  onApplicationShutdown(): void {
    for (const prepared of this.prepared.values()) for (const head of prepared.groups) head.dispose();
    for (const key of this.publicKeys.values()) key.dispose();
  }

  /** The session's start (halves fetched, argmaxes started), begun once: by `prepare` or by round 1. */
  private starting(session: CapcSession): Promise<void> {
    if (!session.starting) {
      session.starting = this.guard(() => this.startArgmaxes(session));
      // Awaited by round 1; a failure before it arrives is not an unhandled rejection of this process.
      session.starting.catch((error: unknown) => {
        const code = error instanceof DomainError ? error.code : 'INTERNAL';
        this.logger.warn({ sessionId: session.id, code }, 'capc session: starting the argmaxes failed');
      });
    }
    return session.starting;
  }

  /** Fetches this service's correlation halves (party 1) from the dealer and starts every argmax of the session. */
  private async startArgmaxes(session: CapcSession): Promise<void> {
    if (!this.dealer)
      throw new DomainError('CONFLICT', 'No dealer configured (DEALER_URL/DEALER_KEY or PUT /v1/capc/dealer)');
    const bytes = await fetchCorrelationHalves(this.dealer, session.id, 1);
    // Views of the dealer's batch (no copy of its megabytes): nothing else holds or changes these bytes.
    const halves = decodeCorrelationBatch(bytes, { view: true });
    const instances = session.queries * session.partitions;
    if (halves.length !== instances)
      throw new DomainError('UPSTREAM_ERROR', 'The dealer sent a wrong number of halves');
    const shares = session.shares!;
    session.parties = halves.map(
      (correlation, i) => new ArgmaxParty({ party: 1, shares: shares[i]!, correlation, ledger: this.ledger }),
    );
    session.shares = null;
    session.outgoing = session.parties.map((party) => {
      const step = party.start();
      if (step.kind !== 'send') throw new DomainError('INTERNAL', 'argmax finished before any round');
      return step.message;
    });
  }

  private async context(json: unknown): Promise<HeContext> {
    const params = heParametersFromJson(json as HeParametersJson);
    if (params.scheme !== 'bfv' || params.plainModulus === undefined || params.plainModulus >= 2n ** 32n) {
      throw new DomainError(
        'INVALID_HE_PARAMETERS',
        'Linear heads take BFV parameters with a plain modulus below 2^32',
      );
    }
    return HeContext.shared(params);
  }

  private publicKey(context: HeContext, bytes: Uint8Array | null): HePublicKey {
    if (!bytes) throw new DomainError('INVALID_HE_KEY', 'publicKey must be base64');
    const id = `${context.id}:${createHash('sha256').update(bytes).digest('hex')}`;
    let key = this.publicKeys.get(id);
    if (!key) {
      key = context.importPublicKey(bytes);
      if (this.publicKeys.size >= 8) {
        const [oldest, old] = this.publicKeys.entries().next().value!;
        this.publicKeys.delete(oldest);
        old.dispose();
      }
      this.publicKeys.set(id, key);
    }
    return key;
  }

  /** This dataset's linear heads on the request's extractor, quantized and packed (cached until the heads change). */
  private async prepare(
    context: HeContext,
    request: CapcFramedEvaluateRequestHeader,
    queriesPerCiphertext: number,
  ): Promise<PreparedHeads> {
    const { classes } = request;
    const extractor = checkedExtractor(request.extractor);
    const heads = (await this.heads.headsFor(request.dataset))
      .filter((h) => h.kind === 'linear' && h.extractorId === extractor.id)
      .sort((a, b) => a.partitionIndex - b.partitionIndex);
    if (heads.length === 0) {
      throw new DomainError(
        'CONFLICT',
        `No confidential-mode head of dataset '${request.dataset}' on extractor ${extractor.id}`,
      );
    }
    if (heads.some((h) => h.classes !== classes || h.dimension !== extractor.dimension)) {
      throw new DomainError('VALIDATION_FAILED', 'The heads do not fit the requested classes or feature dimension');
    }
    const key = [context.id, queriesPerCiphertext, JSON.stringify(extractor), ...heads.map((h) => h.contentHash)].join(
      '|',
    );
    const cached = this.prepared.get(key);
    if (cached) return cached;
    const stride = queryStride(context.degree, queriesPerCiphertext);
    const perProduct = partitionsPerProduct(stride, classes, extractor.dimension);
    if (perProduct < 1) {
      throw new DomainError(
        'INVALID_HE_PARAMETERS',
        queriesPerCiphertext === 1
          ? 'The HE parameters are too small for the heads'
          : `${queriesPerCiphertext} queries per ciphertext leave too few coefficients per query for the heads`,
      );
    }
    // The same quantization as the querying party's (libs/ml): logits stay below libs/crypto's bound t/4.
    const quantized = heads.map((h) =>
      quantizeLinearHead(
        {
          kind: 'linear',
          extractorId: h.extractorId,
          classes: h.classes,
          dimension: h.dimension,
          weights: h.weights,
          bias: h.bias,
        },
        extractor,
      ),
    );
    // Noise flooding needs room in the modulus: on for N ≥ 8192, impossible (and off) on BFV_4096.
    const floodingSecurityBits = context.degree >= 8192 ? 40 : 0;
    const { groups, packing } = prepareProducts(
      context,
      quantized,
      perProduct,
      floodingSecurityBits,
      queriesPerCiphertext,
    );
    // A few layouts stay prepared (jobs of one dataset may pack queries differently); the oldest goes first.
    if (this.prepared.size >= PREPARED_LAYOUTS) {
      const [oldestKey, oldest] = this.prepared.entries().next().value!;
      this.prepared.delete(oldestKey);
      for (const head of oldest.groups) head.dispose();
    }
    const prepared = { groups, packing };
    this.prepared.set(key, prepared);
    this.logger.info(
      { dataset: request.dataset, heads: heads.length, products: groups.length, queriesPerCiphertext },
      'capc heads prepared',
    );
    return prepared;
  }

  /** CryptoErrors (bad ciphertexts, keys, parameters, messages) become 4xx domain errors; the process goes on. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isCryptoError(error)) {
        const code = capcErrorCodeForCrypto(error.code);
        this.logger.warn({ code: error.code }, 'capc request refused');
        throw new DomainError(code === 'INTERNAL' ? 'VALIDATION_FAILED' : code, `Refused: ${error.code}`);
      }
      throw error;
    }
  }
}

/**
 * The request's extractor descriptor must be libs/ml's extractor of that id, exactly: the teacher quantizes its heads
 * with the same featureScale and maxAbsFeature as the querying party quantizes its features, or the logits (and the
 * exactness bound) would not hold.
 */
function checkedExtractor(descriptor: CapcExtractorDescriptor): CapcExtractorDescriptor {
  let known: CapcExtractorDescriptor;
  try {
    known = publicFeatureExtractorById(descriptor.id);
  } catch {
    throw new DomainError('VALIDATION_FAILED', 'Unknown public feature extractor');
  }
  if (
    known.dimension !== descriptor.dimension ||
    known.featureScale !== descriptor.featureScale ||
    known.maxAbsFeature !== descriptor.maxAbsFeature
  ) {
    throw new DomainError('VALIDATION_FAILED', `The extractor descriptor differs from ${known.id}'s`);
  }
  return {
    id: known.id,
    dimension: known.dimension,
    featureScale: known.featureScale,
    maxAbsFeature: known.maxAbsFeature,
  };
}

/** Per query, Σ over this service's partitions of its one-hot shares (mod p). */
function sumPerQuery(session: CapcSession, results: Uint32Array[]): Uint32Array {
  const { queries, partitions, classes, modulus } = session;
  const out = new Uint32Array(queries * classes);
  for (let q = 0; q < queries; q++) {
    for (let p = 0; p < partitions; p++) {
      const shares = results[q * partitions + p]!;
      for (let c = 0; c < classes; c++) out[q * classes + c] = (out[q * classes + c]! + shares[c]!) % modulus;
    }
  }
  return out;
}

/** The framed request's JSON header, validated as the JSON route's body is (same DTO rules, unknown fields refused). */
async function validatedFramedHeader(header: Record<string, unknown>): Promise<CapcFramedEvaluateRequestHeader> {
  const dto = plainToInstance(CapcFramedEvaluateHeaderDto, header);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const fields = flattenValidation(errors);
    throw new DomainError(
      'VALIDATION_FAILED',
      `Invalid request: ${fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ')}`,
      { fields },
    );
  }
  return dto;
}

function flattenValidation(errors: ValidationError[], prefix = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidation(e.children ?? [], field)];
  });
}
