import { randomUUID } from 'node:crypto';
import {
  encodeBase64,
  encodeU32,
  decodeCanonicalBase64,
  type CapcBatchRequest,
  type CapcBatchResponse,
  type CapcRoundResponse,
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
  type HeKeyPair,
  type HeParameters,
} from '@conclave/crypto';
import type { PublicFeatureExtractor } from '@conclave/ml';
import { CapcClientError, fetchQueryingHalves } from './dealer-halves.client.js';

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
}

export interface CapcLabelOptions extends CapcPartyOptions {
  budgetId: string;
  /** Raw records (e.g. MNIST images as 784 values in [0, 1]); they never leave this process unencrypted. */
  records: ReadonlyArray<ArrayLike<number>>;
  mechanism?: string;
  params?: Record<string, unknown>;
  quorum?: number;
  batchSize?: number;
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
    const batchSize = options.batchSize ?? 16;
    for (let first = 0; first < features.length; first += batchSize) {
      const batch = features.slice(first, first + batchSize);
      await party.labelBatch(jobId, first, batch);
      options.onProgress?.(first + batch.length, features.length);
    }
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

  private constructor(
    readonly options: CapcPartyOptions,
    readonly parameters: HeParameters,
    private readonly context: HeContext,
    private readonly keys: HeKeyPair,
  ) {
    this.http = new CapcApiHttp(options.apiUrl, options.apiKey, this.stats);
  }

  static async create(options: CapcPartyOptions): Promise<CapcQueryingParty> {
    const parameters = options.heParameters ?? BFV_8192;
    const context = await HeContext.create(parameters);
    return new CapcQueryingParty(options, parameters, context, context.generateKeys());
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

  /** base64 of one query's ciphertext (a CNHE envelope under this party's key). */
  encryptQuery(features: Int32Array): string {
    return encodeBase64(this.clientFor(1).encryptQuery(features));
  }

  /** One batch, start to end: queries, every argmax round, the share sums. */
  async labelBatch(jobId: string, firstOrdinal: number, features: Int32Array[]): Promise<void> {
    const batch = await this.openBatch(jobId, firstOrdinal, features);
    await batch.runRounds();
    await batch.sendShareSums();
    this.stats.batches++;
  }

  /** Sends a batch of queries and prepares this party's side of its argmaxes (the rounds are the caller's to run). */
  async openBatch(
    jobId: string,
    firstOrdinal: number,
    features: Int32Array[],
    request: Partial<CapcBatchRequest> = {},
  ): Promise<CapcOpenBatch> {
    const body: CapcBatchRequest = {
      batchId: request.batchId ?? randomUUID(),
      firstOrdinal,
      queries: request.queries ?? features.map((x) => this.encryptQuery(x)),
    };
    const response = await this.http.post<CapcBatchResponse>(`/v1/jobs/${jobId}/capc/batches`, body);
    const classes = this.options.classes;
    const dealer = { url: this.options.dealerUrl, key: this.options.dealerKey };
    // Per teacher service: its argmax instances (query-major, partition-minor) with this party's logit shares.
    const sides = await Promise.all(
      response.teachers.map(async (teacher): Promise<CapcArgmaxSide> => {
        const shares: Uint32Array[] = [];
        teacher.responses.forEach((row) => {
          row.forEach((encoded, g) => {
            const bytes = decodeCanonicalBase64(encoded);
            if (!bytes) throw new CapcClientError('UPSTREAM_ERROR', 'a response is not base64', 502);
            const size = teacher.packing[g]!;
            const share = this.clientFor(size).decryptShare(bytes);
            for (let p = 0; p < size; p++) shares.push(share.slice(p * classes, (p + 1) * classes));
          });
        });
        const halvesBytes = await fetchQueryingHalves(dealer, teacher.dealerSessionId);
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
    return new CapcOpenBatch(this, jobId, body.batchId, features.length, response.modulus, sides);
  }

  async waitForJob(jobId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.http.get<{ status: string }>(`/v1/jobs/${jobId}`);
      if (!['queued', 'running'].includes(job.status)) return job.status;
      if (Date.now() > deadline) throw new CapcClientError('TIMEOUT', `job still ${job.status}`, 504);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  labels(jobId: string): Promise<CapcLabelResult['labels']> {
    return this.http.get<CapcLabelResult['labels']>(`/v1/jobs/${jobId}/labels?limit=10000`);
  }

  dispose(): void {
    this.clients.clear();
    this.keys.dispose();
    this.context.dispose();
  }

  private clientFor(groupSize: number): BfvLinearClient {
    let client = this.clients.get(groupSize);
    if (!client) {
      client = new BfvLinearClient(
        this.keys,
        { features: this.options.extractor.dimension, classes: this.options.classes * groupSize },
        this.options.extractor.maxAbsFeature,
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

  /** Sends the next round and takes the teachers' answers; true once every argmax is done. */
  async runRound(): Promise<boolean> {
    const answer = await this.party.http.post<CapcRoundResponse>(
      `/v1/jobs/${this.jobId}/capc/batches/${this.batchId}/rounds/${this.round}`,
      { messages: this.nextMessages() },
    );
    this.party.stats.rounds++;
    this.round++;
    let finished = 0;
    for (const side of this.sides) {
      const bytes = decodeCanonicalBase64(answer.messages[side.teacher]);
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
  ) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
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
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new CapcClientError(
        error?.code ?? 'UPSTREAM_ERROR',
        error?.message ?? `HTTP ${response.status}`,
        response.status,
      );
    }
    return parsed as T;
  }
}

export type { HeKeyPair };
