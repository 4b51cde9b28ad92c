import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { currentCorrelationId, DomainError, postFrames, ServiceClient, upstreamFailure } from '@conclave/common';
import {
  CAPC_MAX_BATCH,
  capcQueryPacking,
  CORRELATION_HEADER,
  decodeCanonicalBase64,
  decodeCapcFrames,
  decodeU32,
  encodeBase64,
  type CapcBatchRequest,
  type CapcBatchResponse,
  type CapcFramed,
  type CapcFramedBatchResponseHeader,
  type CapcFramedEvaluateRequestHeader,
  type CapcFramedEvaluateResponseHeader,
  type CapcQueryPacking,
  type CapcRoundRequest,
  type CapcRoundResponse,
  type CapcShareSumRequest,
  type CapcShareSumResponse,
  type CapcTeacherBatch,
} from '@conclave/contracts';
import {
  CapcRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  type CapcBatchEntity,
  type CapcBatchTeacher,
  type LabelingJobEntity,
  type TeacherEndpoint,
} from '@conclave/db';
import { capcContextId, capcModulus, envelopeContextId } from './capc-parameters.js';

export interface CapcRelayOptions {
  timeoutMs?: number;
  /** Largest accepted ciphertext (bytes, decoded); larger → 413. */
  maxCiphertextBytes?: number;
  /** Largest framed round message accepted from the querying party or a teacher service (default 16 MiB). */
  maxRoundBytes?: number;
  /** How long a batch's relay context stays in memory without its share sums (default 30 min). */
  batchTtlMs?: number;
  now?: () => number;
}

const OPEN: LabelingJobEntity['status'][] = ['queued', 'running', 'paused'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A relayed batch as the querying party receives it, with the responses as bytes. */
interface RelayedBatchAnswer extends Omit<CapcBatchResponse, 'teachers'> {
  teachers: Array<Omit<CapcTeacherBatch, 'responses'> & { responses: Uint8Array[][] }>;
}

/** Batches whose relay context is kept in memory at once (oldest dropped first; the database stays the reference). */
const MAX_RELAYED_BATCHES = 256;

/** What relaying a batch's rounds needs, kept in memory for the life of the batch (fixed when the batch started). */
interface RelayedBatch {
  jobId: string;
  partyId: string;
  queryCount: number;
  classes: number;
  modulus: number;
  teachers: Array<{ partyId: string; sessionId: string; endpoint: TeacherEndpoint | undefined }>;
  expiresAt: number;
}

/**
 * The coordinator's relay of confidential (capc) jobs: the querying party talks to the api only; this relays its
 * encrypted queries to every teacher service of the dataset (with the key each owner issued to the guardian), opens
 * a dealer session per (batch, teacher service), relays the argmax rounds both ways, and keeps the share sums for the
 * guardian. It never sees a plaintext: queries and responses are ciphertexts under the querying party's key, argmax
 * messages are masked by the dealer's randomness, and each share sum alone is uniformly random. A teacher's share
 * sums are stored for the guardian and never returned to the querying party.
 *
 * Replay protection: a batch id is used once, batches cover the job's queries strictly in order, every round is
 * claimed in the database (a repeated or out-of-order round → 409); any failure fails the batch for good (its
 * correlations are spent) and the querying party asks the same queries again in a new batch.
 */
export class CapcRelay {
  private readonly clients = new Map<string, ServiceClient>();
  private readonly relayed = new Map<string, RelayedBatch>();

  constructor(
    private readonly capc: CapcRepository,
    private readonly jobs: LabelingJobRepository,
    private readonly budgets: PrivacyBudgetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly logger: Logger,
    private readonly options: CapcRelayOptions = {},
  ) {}

  /** The JSON route: base64 queries in, base64 responses out. */
  async startBatch(partyId: string, jobId: string, request: CapcBatchRequest): Promise<CapcBatchResponse> {
    const context = await this.batchContext(partyId, jobId, request.queries.length);
    const layout = checkedPacking(request.queries.length, request);
    const maxBytes = this.maxCiphertextBytes();
    const queries = request.queries.map((query, i) => {
      if (typeof query !== 'string') throw new DomainError('VALIDATION_FAILED', `queries[${i}] must be base64`);
      if (query.length > Math.ceil(maxBytes / 3) * 4) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `queries[${i}]: ciphertext larger than ${maxBytes} bytes`);
      }
      const bytes = decodeCanonicalBase64(query);
      if (!bytes) throw new DomainError('INVALID_CIPHERTEXT', `queries[${i}] is not base64`);
      checkEnvelope(bytes, i, context.contextId);
      return bytes;
    });
    const batch = await this.relayBatch(
      partyId,
      jobId,
      context,
      request.batchId,
      request.firstOrdinal,
      queries,
      layout,
    );
    return {
      ...batch,
      teachers: batch.teachers.map((t) => ({
        ...t,
        responses: t.responses.map((row) => row.map((r) => encodeBase64(r))),
      })),
    };
  }

  /**
   * The framed route (libs/contracts capc-frames): header {batchId, firstOrdinal}, frames = the queries; answers
   * header = the batch response without responses, frames = every teacher's responses (teacher, query, group).
   */
  async startFramedBatch(partyId: string, jobId: string, body: Uint8Array): Promise<CapcFramed> {
    const maxBytes = this.maxCiphertextBytes();
    const decoded = decodeCapcFrames(body, { maxFrames: CAPC_MAX_BATCH + 1, maxFrameBytes: maxBytes });
    if (!decoded.ok) {
      if (decoded.reason === 'too-large') {
        throw new DomainError(
          'PAYLOAD_TOO_LARGE',
          `queries[${decoded.frame}]: ciphertext larger than ${maxBytes} bytes`,
        );
      }
      throw new DomainError('MALFORMED_REQUEST', `Not a framed batch: ${decoded.message}`);
    }
    const { batchId, firstOrdinal, queriesPerCiphertext, queryCount, ...other } = decoded.header;
    const problems: Array<{ field: string; problems: string[] }> = [];
    if (typeof batchId !== 'string' || !UUID.test(batchId))
      problems.push({ field: 'batchId', problems: ['must be a UUID'] });
    if (!Number.isInteger(firstOrdinal) || (firstOrdinal as number) < 0) {
      problems.push({ field: 'firstOrdinal', problems: ['must be an integer from 0'] });
    }
    for (const field of Object.keys(other)) problems.push({ field, problems: [`property ${field} should not exist`] });
    if (problems.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid request: ${problems.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ')}`,
        { fields: problems },
      );
    }
    const queries = decoded.frames;
    const context = await this.batchContext(partyId, jobId, queries.length);
    const layout = checkedPacking(queries.length, { queriesPerCiphertext, queryCount } as CapcQueryPacking);
    queries.forEach((bytes, i) => checkEnvelope(bytes, i, context.contextId));
    const batch = await this.relayBatch(
      partyId,
      jobId,
      context,
      batchId as string,
      firstOrdinal as number,
      queries,
      layout,
    );
    const header: CapcFramedBatchResponseHeader = {
      ...batch,
      teachers: batch.teachers.map(({ responses: _responses, ...t }) => t),
    };
    return { header, frames: batch.teachers.flatMap((t) => t.responses.flat()) };
  }

  /** The job's context for a new batch of `count` queries; a job whose own key cannot work is failed here. */
  private async batchContext(partyId: string, jobId: string, count: number) {
    const context = await this.context(partyId, jobId);
    if (count < 1 || count > CAPC_MAX_BATCH) {
      throw new DomainError('VALIDATION_FAILED', `A batch holds 1 to ${CAPC_MAX_BATCH} queries`);
    }
    const contextId = capcContextId(context.setup.heParameters);
    if (envelopeContextId(context.setup.publicKey) !== contextId) {
      // The job's own setup cannot work (a key of other parameters, or no key at all): fail it cleanly, nothing charged.
      await this.jobs.transition(jobId, OPEN, 'failed', 'HE_CONTEXT_MISMATCH');
      await this.jobs.closePending(jobId, 'failed');
      throw new DomainError('HE_CONTEXT_MISMATCH', "The job's public key was made under other HE parameters");
    }
    return { ...context, contextId };
  }

  /**
   * Relays checked query ciphertexts to every teacher service, opens the dealer sessions and asks the teachers to
   * prepare. The batch holds `layout.queryCount` queries, `layout.queriesPerCiphertext` per ciphertext.
   */
  private async relayBatch(
    partyId: string,
    jobId: string,
    context: Awaited<ReturnType<CapcRelay['batchContext']>>,
    batchId: string,
    firstOrdinal: number,
    queries: Uint8Array[],
    layout: { queriesPerCiphertext: number; queryCount: number },
  ): Promise<RelayedBatchAnswer> {
    const { job, setup, dataset, endpoints } = context;
    const count = layout.queryCount;
    const expected = await this.capc.nextOrdinal(jobId);
    if (firstOrdinal !== expected) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `The job's next batch starts at query ${expected}`, {
        nextOrdinal: expected,
      });
    }
    const rows = await this.capc.queriesOf(jobId, firstOrdinal, count);
    if (rows.length !== count) throw new DomainError('VALIDATION_FAILED', 'The batch goes past the job’s queries');
    if (endpoints.length === 0) throw new DomainError('CONFLICT', 'The consortium has no teacher service');
    const dealer = await this.capc.dealerFor(dataset.consortiumId);
    if (!dealer) throw new DomainError('CONFLICT', 'The consortium has no dealer registered (PUT /v1/capc/dealer)');
    const created = await this.capc.createBatch({ id: batchId, jobId, firstOrdinal, queryCount: count, teachers: [] });
    if (!created) throw new DomainError('REPLAY_DETECTED', 'This batch id was used before');
    if (job.status === 'paused') {
      await this.jobs.transition(jobId, ['paused'], 'queued');
    }
    const modulus = capcModulus(setup.heParameters);
    const classes = dataset.numClasses;
    const dealerClient = this.client(`dealer`, dealer.url, dealer.guardianApiKey);
    try {
      const teachers = await Promise.all(
        endpoints.map(async (endpoint) => {
          const sessionId = randomUUID();
          const header: CapcFramedEvaluateRequestHeader = {
            sessionId,
            jobId,
            dataset: dataset.name,
            heParameters: setup.heParameters,
            extractor: setup.extractor as never,
            classes,
            queriesPerCiphertext: layout.queriesPerCiphertext,
            queryCount: count,
          };
          const answer = await this.evaluate(endpoint, header, setup.publicKey, queries);
          checkEvaluation(answer, sessionId, queries.length, modulus);
          await dealerClient.post('/v1/argmax-sessions', {
            id: sessionId,
            modulus,
            classes,
            count: count * answer.partitions,
            parties: [partyId, endpoint.partyId],
          });
          // The teacher service fetches its halves now, while the querying party decrypts and fetches its own.
          await this.teacher(endpoint).post(`/v1/capc/sessions/${sessionId}/prepare`, {});
          const row: CapcBatchTeacher = { partyId: endpoint.partyId, sessionId, partitions: answer.partitions };
          return { endpoint, row, answer };
        }),
      );
      await this.capc.setBatchTeachers(
        batchId,
        teachers.map((t) => t.row),
      );
      this.remember(batchId, {
        jobId,
        partyId,
        queryCount: count,
        classes,
        modulus,
        teachers: teachers.map((t) => ({ partyId: t.row.partyId, sessionId: t.row.sessionId, endpoint: t.endpoint })),
      });
      return {
        batchId,
        classes,
        modulus,
        teachers: teachers.map(({ row, answer }) => ({
          teacher: row.partyId,
          dealerSessionId: row.sessionId,
          partitions: answer.partitions,
          packing: answer.packing,
          responses: answer.responses,
        })),
      };
    } catch (error) {
      await this.fail(batchId, error);
      throw error;
    }
  }

  /**
   * One teacher service's evaluation through its framed route: the public key and the query ciphertexts as frames,
   * the responses back as frames (query ciphertext-major, then packing group). Refusals keep the teacher's own 4xx
   * code.
   */
  private async evaluate(
    endpoint: TeacherEndpoint,
    header: CapcFramedEvaluateRequestHeader,
    publicKey: Uint8Array,
    queries: Uint8Array[],
  ): Promise<CapcFramedEvaluateResponseHeader & { responses: Uint8Array[][] }> {
    const decoded = await this.postFramed(
      endpoint,
      '/v1/capc/evaluate/framed',
      header,
      [publicKey, ...queries],
      64 << 20,
    );
    const answer = decoded.header as unknown as CapcFramedEvaluateResponseHeader;
    const groups = Array.isArray(answer.packing) ? answer.packing.length : 0;
    if (groups < 1 || decoded.frames.length !== queries.length * groups) {
      throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered a malformed evaluation');
    }
    const responses = Array.from({ length: queries.length }, (_, q) =>
      decoded.frames.slice(q * groups, (q + 1) * groups),
    );
    return { ...answer, responses };
  }

  /**
   * A framed request to a teacher service, a framed answer back. No retries (every relayed message is single-use)
   * beyond postFrames' one resend of a request the teacher service never read. Refusals keep the teacher's own 4xx
   * code, as ServiceClient's do; anything unreadable is UPSTREAM_ERROR.
   */
  private async postFramed(
    endpoint: TeacherEndpoint,
    path: string,
    header: object,
    frames: Uint8Array[],
    maxFrameBytes: number,
  ): Promise<{ header: Record<string, unknown>; frames: Uint8Array[] }> {
    const where = `${endpoint.name} POST ${path}`;
    const correlationId = currentCorrelationId();
    let response: { status: number; body: Uint8Array };
    try {
      response = await postFrames(`${endpoint.url.replace(/\/+$/, '')}${path}`, header, frames, {
        headers: {
          ...(endpoint.guardianApiKey ? { authorization: `Bearer ${endpoint.guardianApiKey}` } : {}),
          ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
        },
        timeoutMs: this.options.timeoutMs ?? 120_000,
        maxAnswerBytes: 256 << 20,
      });
    } catch {
      throw new DomainError('UPSTREAM_UNAVAILABLE', `${where} is unavailable`);
    }
    const { status, body } = response;
    if (status < 200 || status >= 300) {
      let refusal: unknown;
      try {
        refusal = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        refusal = undefined;
      }
      throw upstreamFailure(where, status, refusal);
    }
    const decoded = decodeCapcFrames(body, { maxFrames: 1 << 16, maxFrameBytes });
    if (!decoded.ok) throw new DomainError('UPSTREAM_ERROR', `${where}: a malformed framed answer`);
    return decoded;
  }

  private maxCiphertextBytes(): number {
    return this.options.maxCiphertextBytes ?? 1 << 20;
  }

  /** Largest framed batch request read: CAPC_MAX_BATCH queries of the largest accepted size and a small header. */
  get maxFramedBatchBytes(): number {
    return 64 * 1024 + CAPC_MAX_BATCH * (4 + this.maxCiphertextBytes());
  }

  /** The JSON route: per teacher, base64 of its messages of the round. */
  async relayRound(
    partyId: string,
    jobId: string,
    batchId: string,
    round: number,
    request: CapcRoundRequest,
  ): Promise<CapcRoundResponse> {
    const batch = await this.relayedBatch(partyId, jobId, batchId);
    checkRound(round);
    const messages = request.messages ?? {};
    const teachers = batch.teachers;
    const names = Object.keys(messages);
    if (names.length !== teachers.length || teachers.some((t) => typeof messages[t.partyId] !== 'string')) {
      throw new DomainError(
        'INVALID_PROTOCOL_MESSAGE',
        'messages must hold exactly one entry per teacher of the batch',
      );
    }
    const bytes = teachers.map((t) => {
      const message = decodeCanonicalBase64(messages[t.partyId]);
      if (!message) throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'messages must be base64');
      return message;
    });
    const answers = await this.relayMessages(jobId, batchId, batch, round, bytes);
    return {
      round,
      messages: Object.fromEntries(teachers.map((t, i) => [t.partyId, encodeBase64(answers[i]!)])),
    };
  }

  /**
   * The framed route: header {teachers: [party ids]}, frames = each one's messages of the round, in that order;
   * answers header {round, teachers}, frames = the teachers' messages in the same order.
   */
  async relayFramedRound(
    partyId: string,
    jobId: string,
    batchId: string,
    round: number,
    body: Uint8Array,
  ): Promise<CapcFramed> {
    const batch = await this.relayedBatch(partyId, jobId, batchId);
    checkRound(round);
    const decoded = decodeCapcFrames(body, { maxFrames: 1024, maxFrameBytes: this.maxRoundBytes });
    if (!decoded.ok) {
      if (decoded.reason === 'too-large') throw new DomainError('PAYLOAD_TOO_LARGE', decoded.message);
      throw new DomainError('MALFORMED_REQUEST', `Not a framed round: ${decoded.message}`);
    }
    const named = decoded.header.teachers;
    const teachers = batch.teachers;
    if (
      !Array.isArray(named) ||
      Object.keys(decoded.header).length !== 1 ||
      named.length !== teachers.length ||
      decoded.frames.length !== teachers.length ||
      new Set(named).size !== named.length ||
      teachers.some((t) => !named.includes(t.partyId))
    ) {
      throw new DomainError(
        'INVALID_PROTOCOL_MESSAGE',
        'the round must hold exactly one message per teacher of the batch (header.teachers, in frame order)',
      );
    }
    const bytes = teachers.map((t) => decoded.frames[named.indexOf(t.partyId)]!);
    const answers = await this.relayMessages(jobId, batchId, batch, round, bytes);
    return { header: { round, teachers: teachers.map((t) => t.partyId) }, frames: answers };
  }

  /** Largest framed round read (the JSON route's body limit). */
  get maxRoundBytes(): number {
    return this.options.maxRoundBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Claims the round, relays each teacher service its messages (`messages[i]` for `batch.teachers[i]`) and returns
   * theirs in the same order; keeps the share sums a teacher service sends after its last round for the guardian.
   */
  private async relayMessages(
    jobId: string,
    batchId: string,
    batch: RelayedBatch,
    round: number,
    messages: Uint8Array[],
  ): Promise<Uint8Array[]> {
    if (messages.some((m) => m.length === 0)) throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'an empty message');
    if (!(await this.capc.claimRound(batchId, round))) {
      const current = await this.capc.findBatch({ jobId, batchId });
      if (current && current.status !== 'relaying') {
        this.relayed.delete(batchId);
        throw new DomainError('PROTOCOL_OUT_OF_ORDER', `The batch is ${current.status}`);
      }
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `Round ${round} is not the batch's next round`, {
        round: current?.round,
      });
    }
    try {
      return await Promise.all(
        batch.teachers.map(async (t, i) => {
          const endpoint = t.endpoint;
          if (!endpoint) throw new DomainError('CONFLICT', 'A teacher service of the batch left the consortium');
          const answer = await this.postFramed(
            endpoint,
            `/v1/capc/sessions/${t.sessionId}/rounds/${round}/framed`,
            {},
            [messages[i]!],
            this.maxRoundBytes,
          );
          const header = answer.header as { round?: unknown; shareSums?: unknown };
          if (header.round !== round || answer.frames.length !== 1 || answer.frames[0]!.length === 0) {
            throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered a malformed round');
          }
          if (header.shareSums !== undefined) {
            const sums = decodeCanonicalBase64(header.shareSums);
            if (!sums || sums.length !== batch.queryCount * 4 * batch.classes) {
              throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered malformed share sums');
            }
            // Kept for the guardian; never part of what the querying party receives.
            await this.capc.addTeacherShareSums(batchId, t.partyId, header.shareSums as string);
          }
          return answer.frames[0]!;
        }),
      );
    } catch (error) {
      await this.fail(batchId, error);
      throw error;
    }
  }

  async acceptShares(
    partyId: string,
    jobId: string,
    batchId: string,
    request: CapcShareSumRequest,
  ): Promise<CapcShareSumResponse> {
    await this.context(partyId, jobId);
    const sent = await this.capc.findBatch({ jobId, batchId });
    if (sent?.queryingShareSums) {
      throw new DomainError('REPLAY_DETECTED', 'The share sums of this batch were sent before');
    }
    const batch = await this.batch(jobId, batchId);
    const relayed = this.relayed.get(batchId);
    const classes = relayed?.jobId === jobId ? relayed.classes : await this.classesOf(jobId);
    const bytes = decodeCanonicalBase64(request.shareSums);
    const sums = bytes ? decodeU32(bytes) : null;
    if (!sums || sums.length !== batch.queryCount * classes) {
      throw new DomainError(
        'INVALID_PROTOCOL_MESSAGE',
        `shareSums must be base64 of ${batch.queryCount}×${classes} u32`,
      );
    }
    const modulus =
      relayed?.jobId === jobId ? relayed.modulus : capcModulus((await this.capc.findJob(jobId))!.heParameters);
    if (sums.some((v) => v >= modulus)) throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'share sums out of range');
    if (batch.teachers.some((t) => batch.teacherShareSums[t.partyId] === undefined)) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', 'The argmax rounds of this batch are not finished');
    }
    if (!(await this.capc.setQueryingShareSums(batchId, bytes!))) {
      throw new DomainError('REPLAY_DETECTED', 'The share sums of this batch were sent before');
    }
    this.relayed.delete(batchId);
    // A job paused as idle (e.g. during long argmax rounds) is live again: the caller queues a guardian run.
    await this.jobs.transition(jobId, ['paused'], 'queued');
    return { batchId, accepted: batch.queryCount };
  }

  private async context(partyId: string, jobId: string) {
    const job = await this.jobs.findForParty({ partyId, jobId });
    if (!job || job.mode !== 'capc') throw new DomainError('NOT_FOUND', 'No such confidential labeling job of yours');
    if (!OPEN.includes(job.status)) throw new DomainError('CONFLICT', `The job is ${job.status}`);
    const setup = await this.capc.findJob(jobId);
    const budget = await this.budgets.findById(job.budgetId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!setup || !dataset) throw new DomainError('NOT_FOUND', 'No such confidential labeling job of yours');
    if (dataset.teachersDiscardedAt)
      throw new DomainError('TEACHER_DISCARDED', "The dataset's teachers were discarded");
    const endpoints = await this.consortia.teacherEndpoints(dataset.consortiumId);
    return { job, setup, dataset, endpoints };
  }

  /**
   * A batch's relay context: from memory for a batch this process started (one query for the job's owner and status
   * per round), else rebuilt from the database (a restarted api, or another instance) and kept. The teacher services
   * are those the batch started with; the discard of the dataset's teachers is checked when the batch starts and
   * again when its share sums arrive (and by the guardian before anything is released).
   */
  private async relayedBatch(partyId: string, jobId: string, batchId: string): Promise<RelayedBatch> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.relayed.get(batchId);
    if (cached && cached.expiresAt > now && cached.jobId === jobId && cached.partyId === partyId) {
      const job = await this.jobs.findForParty({ partyId, jobId });
      if (!job || job.mode !== 'capc') throw new DomainError('NOT_FOUND', 'No such confidential labeling job of yours');
      if (!OPEN.includes(job.status)) throw new DomainError('CONFLICT', `The job is ${job.status}`);
      return cached;
    }
    const { setup, dataset, endpoints } = await this.context(partyId, jobId);
    const batch = await this.batch(jobId, batchId);
    return this.remember(batchId, {
      jobId,
      partyId,
      queryCount: batch.queryCount,
      classes: dataset.numClasses,
      modulus: capcModulus(setup.heParameters),
      teachers: batch.teachers.map((t) => ({
        partyId: t.partyId,
        sessionId: t.sessionId,
        endpoint: endpoints.find((e) => e.partyId === t.partyId),
      })),
    });
  }

  private remember(batchId: string, batch: Omit<RelayedBatch, 'expiresAt'>): RelayedBatch {
    const now = (this.options.now ?? Date.now)();
    for (const [id, old] of this.relayed) if (old.expiresAt <= now) this.relayed.delete(id);
    while (this.relayed.size >= MAX_RELAYED_BATCHES) this.relayed.delete(this.relayed.keys().next().value!);
    const entry = { ...batch, expiresAt: now + (this.options.batchTtlMs ?? 30 * 60_000) };
    this.relayed.set(batchId, entry);
    return entry;
  }

  private async classesOf(jobId: string): Promise<number> {
    const job = (await this.jobs.findById(jobId))!;
    const budget = (await this.budgets.findById(job.budgetId))!;
    return (await this.consortia.findDataset(budget.consortiumDatasetId))!.numClasses;
  }

  private async batch(jobId: string, batchId: string): Promise<CapcBatchEntity> {
    const batch = await this.capc.findBatch({ jobId, batchId });
    if (!batch) throw new DomainError('NOT_FOUND', 'No such batch of this job');
    if (batch.status !== 'relaying') {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `The batch is ${batch.status}`);
    }
    return batch;
  }

  private async fail(batchId: string, error: unknown): Promise<void> {
    this.relayed.delete(batchId);
    const code = error instanceof DomainError ? error.code : 'INTERNAL';
    this.logger.warn({ batchId, code }, 'capc batch failed');
    await this.capc.failBatch(batchId, code).catch(() => undefined);
  }

  private teacher(endpoint: TeacherEndpoint): ServiceClient {
    return this.client(endpoint.partyId, endpoint.url, endpoint.guardianApiKey ?? undefined, endpoint.name);
  }

  private client(key: string, baseUrl: string, apiKey: string | undefined, service = key): ServiceClient {
    const id = `${key}|${baseUrl}|${apiKey ?? ''}`;
    let client = this.clients.get(id);
    if (!client) {
      // No retries: every relayed message is single-use (a repeated one is refused as a replay).
      client = new ServiceClient({
        service,
        baseUrl,
        apiKey,
        timeoutMs: this.options.timeoutMs ?? 120_000,
        retries: 0,
      });
      this.clients.set(id, client);
    }
    return client;
  }
}

/** The batch's packing (contracts capcQueryPacking) or a 400 naming the field. */
function checkedPacking(
  ciphertexts: number,
  packing: CapcQueryPacking,
): { queriesPerCiphertext: number; queryCount: number } {
  const layout = capcQueryPacking(ciphertexts, packing);
  if (!layout.ok) {
    throw new DomainError('VALIDATION_FAILED', `Invalid request: ${layout.field}: ${layout.message}`, {
      fields: [{ field: layout.field, problems: [layout.message] }],
    });
  }
  return layout;
}

/** `ciphertexts`: the batch's query ciphertexts (one row of responses each). */
function checkEvaluation(
  answer: CapcFramedEvaluateResponseHeader & { responses: Uint8Array[][] },
  sessionId: string,
  ciphertexts: number,
  modulus: number,
): void {
  const ok =
    answer &&
    answer.sessionId === sessionId &&
    answer.modulus === modulus &&
    Number.isInteger(answer.partitions) &&
    answer.partitions > 0 &&
    Array.isArray(answer.packing) &&
    answer.packing.every((n) => Number.isInteger(n) && n > 0) &&
    answer.packing.reduce((a, b) => a + b, 0) === answer.partitions &&
    answer.responses.length === ciphertexts &&
    answer.responses.every((r) => r.length === answer.packing.length && r.every((c) => c.length > 0));
  if (!ok) throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered a malformed evaluation');
}

function checkRound(round: number): void {
  if (!Number.isInteger(round) || round < 1 || round > 64) {
    throw new DomainError('VALIDATION_FAILED', 'round must be an integer from 1');
  }
}

/** The query's envelope names the job's HE context (the teacher services check everything else). */
function checkEnvelope(bytes: Uint8Array, i: number, contextId: string): void {
  const id = envelopeContextId(bytes);
  if (id === null) throw new DomainError('INVALID_CIPHERTEXT', `queries[${i}] is not an HE ciphertext envelope`);
  if (id !== contextId) {
    throw new DomainError('HE_CONTEXT_MISMATCH', `queries[${i}] was encrypted under other HE parameters`);
  }
}
