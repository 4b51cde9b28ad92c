import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { postFrames } from '@conclave/common';
import {
  CAPC_MAX_BATCH,
  decodeCapcFrames,
  encodeBase64,
  encodeU32,
  type CapcFramedBatchRequestHeader,
  type CapcFramedBatchResponseHeader,
  type CapcShareSumResponse,
} from '@conclave/contracts';
import {
  ArgmaxParty,
  BFV_8192,
  BfvLinearClient,
  decodeCorrelationBatch,
  HeContext,
  heParametersToJson,
  InMemoryCorrelationLedger,
  maxQueriesPerCiphertext,
  scatterPackedShare,
  type HeKeyPair,
  type HeParameters,
} from '@conclave/crypto';
import type { PublicFeatureExtractor } from '@conclave/ml';
import { CapcClientError, fetchQueryingHalves } from './dealer-halves.client.js';

/**
 * The wait before the next poll of a job's status, given the previous wait (0 before the first): the guardian usually
 * completes a job within tens of milliseconds of its last answer, so polls start at 20 ms and the interval grows by
 * half each time up to 500 ms.
 */
export function nextJobPollMs(previousMs: number): number {
  return previousMs <= 0 ? 20 : Math.min(500, Math.ceil(previousMs * 1.5));
}

/**
 * The public feature extractor the querying party runs locally: libs/ml's `publicFeatureExtractor` — the one source
 * of the features and of their quantization, on both sides (the teachers quantize their heads with the same
 * extractor's featureScale and maxAbsFeature, and refuse a job whose descriptor differs).
 */
export type CapcFeatureExtractor = Pick<
  PublicFeatureExtractor,
  'id' | 'dimension' | 'featureScale' | 'maxAbsFeature' | 'extract' | 'quantize'
>;

export interface CapcPartyOptions {
  apiUrl: string;
  apiKey: string;
  dealerUrl: string;
  dealerKey: string;
  extractor: CapcFeatureExtractor;
  classes: number;
  /** Default BFV_8192 (noise flooding hides the teachers' weights). */
  heParameters?: HeParameters;
  /**
   * Queries packed into each query ciphertext (libs/crypto queryStride): one teacher product, mask and response then
   * answer them all. Default: as many as one partition's head leaves room for (BFV_8192, 10 classes, 64 features:
   * 11); 1 encrypts each query alone.
   */
  queriesPerCiphertext?: number;
  /** Told of every framed call to the api once answered (timings for benchmarks; the JSON calls go through fetch). */
  onFramedCall?: (call: CapcFramedCall) => void;
}

/** One framed call of the querying party to the api: path, performance.now() times and body bytes. */
export interface CapcFramedCall {
  path: string;
  start: number;
  end: number;
  sentBytes: number;
  receivedBytes: number;
}

export interface CapcLabelOptions extends CapcPartyOptions {
  budgetId: string;
  /** Raw records (e.g. MNIST images as 784 values in [0, 1]); they never leave this process unencrypted. */
  records: ReadonlyArray<ArrayLike<number>>;
  mechanism?: string;
  params?: Record<string, unknown>;
  quorum?: number;
  batchSize?: number;
  /**
   * Batches in flight at once (default 2): the next batch's queries are encrypted and evaluated by the teacher
   * services while the previous batch runs its argmax rounds. 1 runs the batches one after the other.
   */
  inFlight?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CapcLabelStats {
  batches: number;
  rounds: number;
  /** HTTP bodies this client sent to / received from the api and the dealer. */
  bytesSent: number;
  bytesReceived: number;
  elapsedMs: number;
}

export interface CapcLabelResult {
  jobId: string;
  status: string;
  labels: Array<{ ordinal: number; status: string; label: number | null }>;
  stats: CapcLabelStats;
}

/**
 * Labels records in a confidential (capc) job from start to end: features and quantization locally (libs/ml), a job,
 * then every batch through the api (encrypted queries, the secure argmax with every teacher partition, the share
 * sums), and finally the released labels. Malformed records (NaN, wrong length) are refused before anything is sent.
 */
export async function runCapcLabeling(options: CapcLabelOptions): Promise<CapcLabelResult> {
  const started = Date.now();
  const party = await CapcQueryingParty.create(options);
  try {
    const features = party.features(options.records);
    const jobId = await party.createJob({
      budgetId: options.budgetId,
      queries: features.length,
      mechanism: options.mechanism,
      params: options.params,
      quorum: options.quorum,
    });
    // Default: 16 queries, rounded up to whole ciphertexts (11 per ciphertext: 22), at most CAPC_MAX_BATCH.
    const perCiphertext = party.queriesPerCiphertext;
    await party.labelBatches(jobId, features, {
      batchSize: options.batchSize ?? Math.min(CAPC_MAX_BATCH, perCiphertext * Math.ceil(16 / perCiphertext)),
      inFlight: options.inFlight ?? 2,
      onProgress: options.onProgress,
    });
    const status = await party.waitForJob(jobId, options.timeoutMs ?? 300_000);
    const labels = await party.labels(jobId);
    party.stats.elapsedMs = Date.now() - started;
    return { jobId, status, labels, stats: party.stats };
  } finally {
    party.dispose();
  }
}

/**
 * The querying party of confidential (capc) labeling jobs: holds the HE secret key, runs the public feature extractor
 * locally, encrypts each query, and for every batch receives each teacher service's masked responses (relayed by the
 * coordinator), decrypts its logit shares, runs its side of the secure argmax with every teacher partition (all
 * instances of a batch batched per round), and sends the guardian only the sum of its one-hot shares per query.
 * Talks to the api (and the dealer for its own correlation halves) only.
 */
export class CapcQueryingParty {
  readonly stats: CapcLabelStats = { batches: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, elapsedMs: 0 };
  readonly http: CapcApiHttp;
  private readonly clients = new Map<number, BfvLinearClient>();
  private readonly ledger = new InMemoryCorrelationLedger();
  /** Queries per query ciphertext (see CapcPartyOptions.queriesPerCiphertext). */
  readonly queriesPerCiphertext: number;

  private constructor(
    readonly options: CapcPartyOptions,
    readonly parameters: HeParameters,
    private readonly keys: HeKeyPair,
  ) {
    this.http = new CapcApiHttp(options.apiUrl, options.apiKey, this.stats, options.onFramedCall);
    const most = maxQueriesPerCiphertext(keys.context.degree, {
      features: options.extractor.dimension,
      classes: options.classes,
    });
    const asked = options.queriesPerCiphertext;
    if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > Math.max(1, most))) {
      throw new CapcClientError(
        'VALIDATION_FAILED',
        `queriesPerCiphertext must be an integer from 1 to ${Math.max(1, most)} with these parameters and features`,
        400,
      );
    }
    this.queriesPerCiphertext = Math.max(1, Math.min(asked ?? most, CAPC_MAX_BATCH));
  }

  static async create(options: CapcPartyOptions): Promise<CapcQueryingParty> {
    const parameters = options.heParameters ?? BFV_8192;
    // The process's context (parameters only, no key; HeContext.shared): every job still makes its own key pair.
    const context = await HeContext.shared(parameters);
    return new CapcQueryingParty(options, parameters, context.generateKeys());
  }

  /** Quantized features of raw records (libs/ml); throws VALIDATION_FAILED on NaN or a record of the wrong length. */
  features(records: ReadonlyArray<ArrayLike<number>>): Int32Array[] {
    const { extractor } = this.options;
    return extractor.quantize(extractor.extract(records));
  }

  /** What a capc job registers: HE parameters, the public key (base64) and the extractor descriptor. */
  jobSetup() {
    const { extractor } = this.options;
    return {
      heParameters: heParametersToJson(this.parameters),
      publicKey: encodeBase64(this.keys.publicKey.export()),
      extractor: {
        id: extractor.id,
        dimension: extractor.dimension,
        featureScale: extractor.featureScale,
        maxAbsFeature: extractor.maxAbsFeature,
      },
    };
  }

  async createJob(input: {
    budgetId: string;
    queries: number;
    mechanism?: string;
    params?: Record<string, unknown>;
    quorum?: number;
  }): Promise<string> {
    const job = await this.http.post<{ id: string }>('/v1/jobs', {
      mode: 'capc',
      budgetId: input.budgetId,
      mechanism: input.mechanism ?? 'gnmax',
      params: input.params ?? { sigma: 1 },
      maxQueries: input.queries,
      quorum: input.quorum,
      capc: this.jobSetup(),
    });
    return job.id;
  }

  /** base64 of one query's ciphertext, the query alone in it (a CNHE envelope under this party's key). */
  encryptQuery(features: Int32Array): string {
    return encodeBase64(this.clientFor(1).encryptQuery(features));
  }

  /**
   * A batch's query ciphertexts, queriesPerCiphertext queries each (the last may hold fewer), the event loop getting
   * a turn between them (other batches' rounds go on meanwhile).
   */
  async encryptQueries(features: Int32Array[]): Promise<Uint8Array[]> {
    const ciphertexts: Uint8Array[] = [];
    for (let first = 0; first < features.length; first += this.queriesPerCiphertext) {
      if (ciphertexts.length > 0) await nextTurn();
      ciphertexts.push(this.clientFor(1).encryptQueries(features.slice(first, first + this.queriesPerCiphertext)));
    }
    return ciphertexts;
  }

  /** One batch, start to end: queries, every argmax round, the share sums. */
  async labelBatch(jobId: string, firstOrdinal: number, features: Int32Array[]): Promise<void> {
    const batch = await this.openBatch(jobId, firstOrdinal, features);
    await batch.runRounds();
    await batch.sendShareSums();
    this.stats.batches++;
  }

  /**
   * Every query of the job, in batches of `batchSize` with up to `inFlight` batches at once. Batches are opened in
   * order (the api takes the job's queries strictly in order), each one as soon as the previous one was opened and
   * fewer than `inFlight` are running; the next batch is encrypted while the teachers evaluate the current one, and
   * share sums are sent in batch order. The first failure stops the job (after the batches in flight settle).
   */
  async labelBatches(
    jobId: string,
    features: Int32Array[],
    options: { batchSize: number; inFlight: number; onProgress?: (done: number, total: number) => void },
  ): Promise<void> {
    const inFlight = Math.max(1, Math.floor(options.inFlight));
    const chunks: Array<{ first: number; features: Int32Array[] }> = [];
    for (let first = 0; first < features.length; first += options.batchSize) {
      chunks.push({ first, features: features.slice(first, first + options.batchSize) });
    }
    const running: Promise<void>[] = [];
    let sharedInOrder: Promise<void> = Promise.resolve();
    let done = 0;
    const finish = async (batch: CapcOpenBatch, previous: Promise<void>): Promise<void> => {
      await batch.runRounds();
      const sums = batch.shareSums();
      await previous;
      await batch.sendShareSums(sums);
      this.stats.batches++;
      done += batch.queries;
      options.onProgress?.(done, features.length);
    };
    try {
      let encrypted = chunks.length > 0 ? await this.encryptQueries(chunks[0]!.features) : [];
      for (const [i, chunk] of chunks.entries()) {
        while (running.length >= inFlight) await running.shift();
        const opening = this.openBatch(jobId, chunk.first, chunk.features, { queries: encrypted });
        opening.catch(() => undefined); // awaited below; the next batch is encrypted meanwhile
        if (i + 1 < chunks.length) encrypted = await this.encryptQueries(chunks[i + 1]!.features);
        const batch = await opening;
        sharedInOrder = finish(batch, sharedInOrder);
        sharedInOrder.catch(() => undefined); // awaited through `running`
        running.push(sharedInOrder);
      }
      while (running.length > 0) await running.shift();
    } catch (error) {
      await Promise.allSettled(running);
      throw error;
    }
  }

  /**
   * Sends a batch of queries (framed: ciphertexts as bytes, not base64) and prepares this party's side of its
   * argmaxes (the rounds are the caller's to run). `request.queries` (bytes, or base64: encryptQueries' ciphertexts
   * of `features`) replaces their encryption.
   */
  async openBatch(
    jobId: string,
    firstOrdinal: number,
    features: Int32Array[],
    request: { batchId?: string; queries?: ReadonlyArray<Uint8Array | string> } = {},
  ): Promise<CapcOpenBatch> {
    const batchId = request.batchId ?? randomUUID();
    const queries = request.queries
      ? request.queries.map((q) => (typeof q === 'string' ? new Uint8Array(Buffer.from(q, 'base64')) : q))
      : await this.encryptQueries(features);
    const perCiphertext = this.queriesPerCiphertext;
    const header: CapcFramedBatchRequestHeader = { batchId, firstOrdinal };
    if (perCiphertext > 1) Object.assign(header, { queriesPerCiphertext: perCiphertext, queryCount: features.length });
    const answer = await this.http.postFramed(`/v1/jobs/${jobId}/capc/batches/framed`, header, queries);
    const response = answer.header as unknown as CapcFramedBatchResponseHeader;
    if (
      !Array.isArray(response.teachers) ||
      response.teachers.some((t) => !Array.isArray(t?.packing) || t.packing.reduce((a, b) => a + b, 0) !== t.partitions)
    ) {
      throw new CapcClientError('UPSTREAM_ERROR', 'a malformed batch answer', 502);
    }
    // Frames: teacher-major, then query ciphertext, then packing group.
    let frame = 0;
    const responsesOf = response.teachers.map((teacher) =>
      Array.from({ length: queries.length }, () => teacher.packing.map(() => answer.frames[frame++])),
    );
    if (frame !== answer.frames.length || responsesOf.some((rows) => rows.some((row) => row.some((r) => !r)))) {
      throw new CapcClientError(
        'UPSTREAM_ERROR',
        'the batch answer does not hold one response per query ciphertext and group',
        502,
      );
    }
    const classes = this.options.classes;
    const dealer = { url: this.options.dealerUrl, key: this.options.dealerKey };
    // Every teacher service's halves are asked for at once, and arrive while this party decrypts its responses.
    const halvesOf = response.teachers.map((teacher) => {
      const fetching = fetchQueryingHalves(dealer, teacher.dealerSessionId);
      fetching.catch(() => undefined); // awaited below, after the decryption
      return fetching;
    });
    // Per teacher service: its argmax instances (query-major, partition-minor) with this party's logit shares. A
    // response answers every query of its ciphertext: slot-major, each slot the group's partitions, then classes.
    const count = features.length;
    const decrypted: Uint32Array[][] = [];
    for (const [t, teacher] of response.teachers.entries()) {
      const shares = new Array<Uint32Array>(count * teacher.partitions);
      for (const [c, row] of responsesOf[t]!.entries()) {
        let first = 0;
        for (const [g, bytes] of row.entries()) {
          await nextTurn(); // another batch's rounds go on between decryptions
          const size = teacher.packing[g]!;
          scatterPackedShare(this.clientFor(size).decryptShare(bytes), shares, {
            firstQuery: c * perCiphertext,
            count,
            queriesPerCiphertext: perCiphertext,
            groupSize: size,
            firstPartition: first,
            partitions: teacher.partitions,
            classes,
          });
          first += size;
        }
      }
      decrypted.push(shares);
    }
    const sides = await Promise.all(
      response.teachers.map(async (teacher, t): Promise<CapcArgmaxSide> => {
        const shares = decrypted[t]!;
        const halvesBytes = await halvesOf[t]!;
        this.stats.bytesReceived += halvesBytes.length;
        const halves = decodeCorrelationBatch(halvesBytes);
        if (halves.length !== shares.length) {
          throw new CapcClientError('UPSTREAM_ERROR', 'wrong number of halves', 502);
        }
        const parties = halves.map(
          (correlation, i) => new ArgmaxParty({ party: 0, shares: shares[i]!, correlation, ledger: this.ledger }),
        );
        const outgoing = parties.map((party) => {
          const step = party.start();
          if (step.kind !== 'send') throw new CapcClientError('INTERNAL', 'argmax finished early', 500);
          return step.message;
        });
        return { teacher: teacher.teacher, parties, outgoing, results: [] };
      }),
    );
    return new CapcOpenBatch(this, jobId, batchId, features.length, response.modulus, sides);
  }

  /** Polls the job (see nextJobPollMs) until it leaves queued/running. */
  async waitForJob(jobId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let waitMs = 0;
    for (;;) {
      const job = await this.http.get<{ status: string }>(`/v1/jobs/${jobId}`);
      if (!['queued', 'running'].includes(job.status)) return job.status;
      if (Date.now() > deadline) throw new CapcClientError('TIMEOUT', `job still ${job.status}`, 504);
      waitMs = nextJobPollMs(waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  labels(jobId: string): Promise<CapcLabelResult['labels']> {
    return this.http.get<CapcLabelResult['labels']>(`/v1/jobs/${jobId}/labels?limit=10000`);
  }

  /** Frees this party's keys (its secret key above all); the process's HE context stays for the next job. */
  dispose(): void {
    this.clients.clear();
    this.keys.dispose();
  }

  private clientFor(groupSize: number): BfvLinearClient {
    let client = this.clients.get(groupSize);
    if (!client) {
      client = new BfvLinearClient(
        this.keys,
        { features: this.options.extractor.dimension, classes: this.options.classes * groupSize },
        this.options.extractor.maxAbsFeature,
        // A lone query (encryptQuery) sits in slot 0 whatever the packing; a group's responses follow the batch's.
        { queriesPerCiphertext: this.queriesPerCiphertext },
      );
      this.clients.set(groupSize, client);
    }
    return client;
  }
}

interface CapcArgmaxSide {
  teacher: string;
  parties: ArgmaxParty[];
  /** This party's messages of the next round. */
  outgoing: Uint8Array[];
  results: Uint32Array[];
}

/** One batch in flight: this party's argmaxes with every teacher service, round by round. */
export class CapcOpenBatch {
  /** The next round to send. */
  round = 1;
  done = false;

  constructor(
    private readonly party: CapcQueryingParty,
    readonly jobId: string,
    readonly batchId: string,
    readonly queries: number,
    readonly modulus: number,
    private readonly sides: CapcArgmaxSide[],
  ) {}

  /** The body of the next round's request (per teacher id, base64 of its concatenated messages). */
  nextMessages(): Record<string, string> {
    return Object.fromEntries(this.sides.map((side) => [side.teacher, encodeBase64(Buffer.concat(side.outgoing))]));
  }

  /** Sends the next round (framed: the messages as bytes) and takes the teachers' answers; true once all are done. */
  async runRound(): Promise<boolean> {
    const teachers = this.sides.map((side) => side.teacher);
    const answer = await this.party.http.postFramed(
      `/v1/jobs/${this.jobId}/capc/batches/${this.batchId}/rounds/${this.round}/framed`,
      { teachers },
      this.sides.map((side) => Buffer.concat(side.outgoing)),
    );
    const named = answer.header.teachers;
    if (answer.header.round !== this.round || !Array.isArray(named) || named.length !== answer.frames.length) {
      throw new CapcClientError('UPSTREAM_ERROR', 'a malformed round answer', 502);
    }
    this.party.stats.rounds++;
    this.round++;
    let finished = 0;
    for (const side of this.sides) {
      const index = named.indexOf(side.teacher);
      const bytes = index < 0 ? undefined : answer.frames[index];
      if (!bytes || bytes.length % side.parties.length !== 0) {
        throw new CapcClientError('UPSTREAM_ERROR', 'a round message does not fit the batch', 502);
      }
      const size = bytes.length / side.parties.length;
      const next: Uint8Array[] = [];
      side.parties.forEach((party, i) => {
        const step = party.receive(bytes.subarray(i * size, (i + 1) * size));
        if (step.kind === 'send') next.push(step.message);
        else side.results.push(step.oneHotShares);
      });
      side.outgoing = next;
      if (next.length === 0) finished++;
    }
    if (finished > 0 && finished < this.sides.length) {
      throw new CapcClientError('INTERNAL', 'teacher argmaxes out of step', 500);
    }
    this.done = finished === this.sides.length;
    return this.done;
  }

  async runRounds(): Promise<void> {
    while (!(await this.runRound()));
  }

  /** Per query, the sum over every teacher service and partition of this party's one-hot shares (mod p). */
  shareSums(): Uint32Array {
    if (!this.done) throw new CapcClientError('INTERNAL', 'the argmax rounds are not finished', 500);
    const { classes } = this.party.options;
    const sums = new Uint32Array(this.queries * classes);
    for (const side of this.sides) {
      const perQuery = side.parties.length / this.queries;
      side.results.forEach((shares, i) => {
        const q = Math.floor(i / perQuery);
        for (let c = 0; c < classes; c++) {
          sums[q * classes + c] = (sums[q * classes + c]! + shares[c]!) % this.modulus;
        }
      });
    }
    return sums;
  }

  /** Only the sum over every teacher service and partition leaves this process: never one teacher's share. */
  sendShareSums(sums: Uint32Array = this.shareSums()): Promise<CapcShareSumResponse> {
    return this.party.http.post<CapcShareSumResponse>(`/v1/jobs/${this.jobId}/capc/batches/${this.batchId}/shares`, {
      shareSums: encodeBase64(encodeU32(sums)),
    });
  }
}

/** JSON over HTTP to the api, counting bytes on the wire (bodies); refusals become CapcClientError (code, status). */
export class CapcApiHttp {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    private readonly stats: { bytesSent: number; bytesReceived: number },
    private readonly onFramedCall?: (call: CapcFramedCall) => void,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  /** A framed binary request and answer (libs/contracts capc-frames); refusals are JSON as always. */
  async postFramed(
    path: string,
    header: object,
    frames: readonly Uint8Array[],
  ): Promise<{ header: Record<string, unknown>; frames: Uint8Array[] }> {
    const start = performance.now();
    const { status, body, sentBytes } = await postFrames(`${this.baseUrl.replace(/\/+$/, '')}${path}`, header, frames, {
      headers: { authorization: `Bearer ${this.key}` },
      timeoutMs: 300_000,
      maxAnswerBytes: 1 << 30,
    });
    this.stats.bytesSent += sentBytes;
    this.stats.bytesReceived += body.length;
    this.onFramedCall?.({ path, start, end: performance.now(), sentBytes, receivedBytes: body.length });
    if (status < 200 || status >= 300) throw refusal(status, body);
    const decoded = decodeCapcFrames(body, { maxFrames: 1 << 20, maxFrameBytes: 1 << 30, maxHeaderBytes: 1 << 24 });
    if (!decoded.ok) throw new CapcClientError('UPSTREAM_ERROR', `a malformed framed answer (${decoded.message})`, 502);
    return decoded;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.stats.bytesSent += payload ? Buffer.byteLength(payload) : 0;
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: payload,
    });
    const text = await response.text();
    this.stats.bytesReceived += Buffer.byteLength(text);
    if (!response.ok) throw refusal(response.status, Buffer.from(text, 'utf8'));
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** A refusal's JSON error body (code, message) as a CapcClientError. */
function refusal(status: number, body: Uint8Array): CapcClientError {
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(Buffer.from(body).toString('utf8')) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return new CapcClientError(error?.code ?? 'UPSTREAM_ERROR', error?.message ?? `HTTP ${status}`, status);
}

export type { HeKeyPair };
