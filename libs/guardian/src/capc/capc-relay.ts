import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DomainError, ServiceClient } from '@conclave/common';
import {
  CAPC_MAX_BATCH,
  decodeCanonicalBase64,
  decodeU32,
  type CapcBatchRequest,
  type CapcBatchResponse,
  type CapcEvaluateRequest,
  type CapcEvaluateResponse,
  type CapcRoundRequest,
  type CapcRoundResponse,
  type CapcShareSumRequest,
  type CapcShareSumResponse,
  type CapcTeacherBatch,
  type CapcTeacherRoundResponse,
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
}

const OPEN: LabelingJobEntity['status'][] = ['queued', 'running', 'paused'];

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

  constructor(
    private readonly capc: CapcRepository,
    private readonly jobs: LabelingJobRepository,
    private readonly budgets: PrivacyBudgetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly logger: Logger,
    private readonly options: CapcRelayOptions = {},
  ) {}

  async startBatch(partyId: string, jobId: string, request: CapcBatchRequest): Promise<CapcBatchResponse> {
    const { job, setup, dataset, endpoints } = await this.context(partyId, jobId);
    const count = request.queries.length;
    if (count < 1 || count > CAPC_MAX_BATCH) {
      throw new DomainError('VALIDATION_FAILED', `A batch holds 1 to ${CAPC_MAX_BATCH} queries`);
    }
    const contextId = capcContextId(setup.heParameters);
    if (envelopeContextId(setup.publicKey) !== contextId) {
      // The job's own setup cannot work (a key of other parameters, or no key at all): fail it cleanly, nothing charged.
      await this.jobs.transition(jobId, OPEN, 'failed', 'HE_CONTEXT_MISMATCH');
      await this.jobs.closePending(jobId, 'failed');
      throw new DomainError('HE_CONTEXT_MISMATCH', "The job's public key was made under other HE parameters");
    }
    const maxBytes = this.options.maxCiphertextBytes ?? 1 << 20;
    request.queries.forEach((query, i) => {
      if (typeof query !== 'string') throw new DomainError('VALIDATION_FAILED', `queries[${i}] must be base64`);
      if (query.length > Math.ceil(maxBytes / 3) * 4) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `queries[${i}]: ciphertext larger than ${maxBytes} bytes`);
      }
      const bytes = decodeCanonicalBase64(query);
      if (!bytes) throw new DomainError('INVALID_CIPHERTEXT', `queries[${i}] is not base64`);
      const id = envelopeContextId(bytes);
      if (id === null) throw new DomainError('INVALID_CIPHERTEXT', `queries[${i}] is not an HE ciphertext envelope`);
      if (id !== contextId) {
        throw new DomainError('HE_CONTEXT_MISMATCH', `queries[${i}] was encrypted under other HE parameters`);
      }
    });
    const expected = await this.capc.nextOrdinal(jobId);
    if (request.firstOrdinal !== expected) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `The job's next batch starts at query ${expected}`, {
        nextOrdinal: expected,
      });
    }
    const queries = await this.capc.queriesOf(jobId, request.firstOrdinal, count);
    if (queries.length !== count) throw new DomainError('VALIDATION_FAILED', 'The batch goes past the job’s queries');
    if (endpoints.length === 0) throw new DomainError('CONFLICT', 'The consortium has no teacher service');
    const dealer = await this.capc.dealerFor(dataset.consortiumId);
    if (!dealer) throw new DomainError('CONFLICT', 'The consortium has no dealer registered (PUT /v1/capc/dealer)');
    const created = await this.capc.createBatch({
      id: request.batchId,
      jobId,
      firstOrdinal: request.firstOrdinal,
      queryCount: count,
      teachers: [],
    });
    if (!created) throw new DomainError('REPLAY_DETECTED', 'This batch id was used before');
    if (job.status === 'paused') {
      await this.jobs.transition(jobId, ['paused'], 'queued');
    }
    const modulus = capcModulus(setup.heParameters);
    const classes = dataset.numClasses;
    const dealerClient = this.client(`dealer`, dealer.url, dealer.guardianApiKey);
    try {
      const teachers = await Promise.all(
        endpoints.map(async (endpoint): Promise<{ row: CapcBatchTeacher; batch: CapcTeacherBatch }> => {
          const sessionId = randomUUID();
          const evaluate: CapcEvaluateRequest = {
            sessionId,
            jobId,
            dataset: dataset.name,
            heParameters: setup.heParameters,
            publicKey: setup.publicKey.toString('base64'),
            extractor: setup.extractor as never,
            classes,
            queries: request.queries,
          };
          const answer = await this.teacher(endpoint).post<CapcEvaluateResponse>('/v1/capc/evaluate', evaluate);
          checkEvaluation(answer, sessionId, count, modulus);
          await dealerClient.post('/v1/argmax-sessions', {
            id: sessionId,
            modulus,
            classes,
            count: count * answer.partitions,
            parties: [partyId, endpoint.partyId],
          });
          return {
            row: { partyId: endpoint.partyId, sessionId, partitions: answer.partitions },
            batch: {
              teacher: endpoint.partyId,
              dealerSessionId: sessionId,
              partitions: answer.partitions,
              packing: answer.packing,
              responses: answer.responses,
            },
          };
        }),
      );
      await this.capc.setBatchTeachers(
        request.batchId,
        teachers.map((t) => t.row),
      );
      return { batchId: request.batchId, classes, modulus, teachers: teachers.map((t) => t.batch) };
    } catch (error) {
      await this.fail(request.batchId, error);
      throw error;
    }
  }

  async relayRound(
    partyId: string,
    jobId: string,
    batchId: string,
    round: number,
    request: CapcRoundRequest,
  ): Promise<CapcRoundResponse> {
    const { endpoints } = await this.context(partyId, jobId);
    const batch = await this.batch(jobId, batchId);
    if (!Number.isInteger(round) || round < 1 || round > 64) {
      throw new DomainError('VALIDATION_FAILED', 'round must be an integer from 1');
    }
    const messages = request.messages ?? {};
    const teachers = batch.teachers;
    const names = Object.keys(messages);
    if (names.length !== teachers.length || teachers.some((t) => typeof messages[t.partyId] !== 'string')) {
      throw new DomainError(
        'INVALID_PROTOCOL_MESSAGE',
        'messages must hold exactly one entry per teacher of the batch',
      );
    }
    for (const t of teachers) {
      if (!decodeCanonicalBase64(messages[t.partyId])) {
        throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'messages must be base64');
      }
    }
    if (!(await this.capc.claimRound(batchId, round))) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', `Round ${round} is not the batch's next round`, {
        round: batch.round,
      });
    }
    try {
      const answers = await Promise.all(
        teachers.map(async (t) => {
          const endpoint = endpoints.find((e) => e.partyId === t.partyId);
          if (!endpoint) throw new DomainError('CONFLICT', 'A teacher service of the batch left the consortium');
          const answer = await this.teacher(endpoint).post<CapcTeacherRoundResponse>(
            `/v1/capc/sessions/${t.sessionId}/rounds/${round}`,
            { message: messages[t.partyId] },
          );
          if (!answer || answer.round !== round || !decodeCanonicalBase64(answer.message)) {
            throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered a malformed round');
          }
          if (answer.shareSums !== undefined) {
            const sums = decodeCanonicalBase64(answer.shareSums);
            if (!sums || sums.length !== batch.queryCount * 4 * (await this.classesOf(jobId))) {
              throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered malformed share sums');
            }
            // Kept for the guardian; never part of what the querying party receives.
            await this.capc.addTeacherShareSums(batchId, t.partyId, answer.shareSums);
          }
          return [t.partyId, answer.message] as const;
        }),
      );
      return { round, messages: Object.fromEntries(answers) };
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
    const classes = await this.classesOf(jobId);
    const bytes = decodeCanonicalBase64(request.shareSums);
    const sums = bytes ? decodeU32(bytes) : null;
    if (!sums || sums.length !== batch.queryCount * classes) {
      throw new DomainError(
        'INVALID_PROTOCOL_MESSAGE',
        `shareSums must be base64 of ${batch.queryCount}×${classes} u32`,
      );
    }
    const modulus = capcModulus((await this.capc.findJob(jobId))!.heParameters);
    if (sums.some((v) => v >= modulus)) throw new DomainError('INVALID_PROTOCOL_MESSAGE', 'share sums out of range');
    if (batch.teachers.some((t) => batch.teacherShareSums[t.partyId] === undefined)) {
      throw new DomainError('PROTOCOL_OUT_OF_ORDER', 'The argmax rounds of this batch are not finished');
    }
    if (!(await this.capc.setQueryingShareSums(batchId, bytes!))) {
      throw new DomainError('REPLAY_DETECTED', 'The share sums of this batch were sent before');
    }
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

function checkEvaluation(answer: CapcEvaluateResponse, sessionId: string, count: number, modulus: number): void {
  const ok =
    answer &&
    answer.sessionId === sessionId &&
    answer.modulus === modulus &&
    Number.isInteger(answer.partitions) &&
    answer.partitions > 0 &&
    Array.isArray(answer.packing) &&
    answer.packing.reduce((a, b) => a + b, 0) === answer.partitions &&
    Array.isArray(answer.responses) &&
    answer.responses.length === count &&
    answer.responses.every(
      (r) => Array.isArray(r) && r.length === answer.packing.length && r.every((c) => typeof c === 'string'),
    );
  if (!ok) throw new DomainError('UPSTREAM_ERROR', 'A teacher service answered a malformed evaluation');
}
