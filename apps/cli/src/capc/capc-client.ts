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
import { CapcClientError, fetchQueryingHalves } from './dealer-halves.client.js';

/** The public feature extractor the querying party runs locally (libs/ml publicFeatureExtractor fits it). */
export interface CapcFeatureExtractor {
  readonly id: string;
  readonly dimension: number;
  readonly featureScale: number;
  readonly maxAbsFeature: number;
  extract(records: ReadonlyArray<ArrayLike<number>>): Float32Array[];
  quantize(features: ReadonlyArray<ArrayLike<number>>): Int32Array[];
}

export interface CapcLabelOptions {
  apiUrl: string;
  apiKey: string;
  dealerUrl: string;
  dealerKey: string;
  budgetId: string;
  /** Raw records (e.g. MNIST images as 784 values in [0, 1]); they never leave this process unencrypted. */
  records: ReadonlyArray<ArrayLike<number>>;
  extractor: CapcFeatureExtractor;
  classes: number;
  mechanism?: string;
  params?: Record<string, unknown>;
  quorum?: number;
  /** Default BFV_8192 (noise flooding hides the teachers' weights). */
  heParameters?: HeParameters;
  batchSize?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CapcLabelResult {
  jobId: string;
  status: string;
  labels: Array<{ ordinal: number; status: string; label: number | null }>;
  stats: {
    batches: number;
    rounds: number;
    /** HTTP bodies this client sent to / received from the api and the dealer. */
    bytesSent: number;
    bytesReceived: number;
    elapsedMs: number;
  };
}

/**
 * The querying party of a confidential (capc) labeling job: holds the HE secret key, runs the public feature
 * extractor locally, encrypts each query, and for every batch receives each teacher service's masked responses
 * (relayed by the coordinator), decrypts its logit shares, runs its side of the secure argmax with every teacher
 * partition (all instances of a batch batched per round), and sends the guardian only the sum of its one-hot shares
 * per query. Talks to the api (and the dealer for its own correlation halves) only.
 */
export async function runCapcLabeling(options: CapcLabelOptions): Promise<CapcLabelResult> {
  const started = Date.now();
  const stats = { batches: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, elapsedMs: 0 };
  const http = new ApiHttp(options.apiUrl, options.apiKey, stats);
  const params = options.heParameters ?? BFV_8192;
  const context = await HeContext.create(params);
  const keys = context.generateKeys();
  const clients = new Map<number, BfvLinearClient>();
  const clientFor = (groupSize: number) => {
    let client = clients.get(groupSize);
    if (!client) {
      client = new BfvLinearClient(
        keys,
        { features: options.extractor.dimension, classes: options.classes * groupSize },
        options.extractor.maxAbsFeature,
      );
      clients.set(groupSize, client);
    }
    return client;
  };
  try {
    const { extractor } = options;
    const features = extractor.quantize(extractor.extract(options.records));
    const job = await http.post<{ id: string }>('/v1/jobs', {
      mode: 'capc',
      budgetId: options.budgetId,
      mechanism: options.mechanism ?? 'gnmax',
      params: options.params ?? { sigma: 1 },
      maxQueries: features.length,
      quorum: options.quorum,
      capc: {
        heParameters: heParametersToJson(params),
        publicKey: encodeBase64(keys.publicKey.export()),
        extractor: {
          id: extractor.id,
          dimension: extractor.dimension,
          featureScale: extractor.featureScale,
          maxAbsFeature: extractor.maxAbsFeature,
        },
      },
    });
    const batchSize = options.batchSize ?? 16;
    const dealer = { url: options.dealerUrl, key: options.dealerKey };
    const ledger = new InMemoryCorrelationLedger();
    for (let first = 0; first < features.length; first += batchSize) {
      const batch = features.slice(first, first + batchSize);
      await runBatch(http, job.id, first, batch, clientFor(1), clientFor, dealer, ledger, options.classes, stats);
      stats.batches++;
      options.onProgress?.(first + batch.length, features.length);
    }
    const final = await waitForJob(http, job.id, options.timeoutMs ?? 300_000);
    const labels = await http.get<CapcLabelResult['labels']>(`/v1/jobs/${job.id}/labels?limit=10000`);
    stats.elapsedMs = Date.now() - started;
    return { jobId: job.id, status: final, labels, stats };
  } finally {
    keys.dispose();
    context.dispose();
  }
}

async function runBatch(
  http: ApiHttp,
  jobId: string,
  firstOrdinal: number,
  features: Int32Array[],
  encryptor: BfvLinearClient,
  clientFor: (groupSize: number) => BfvLinearClient,
  dealer: { url: string; key: string },
  ledger: InMemoryCorrelationLedger,
  classes: number,
  stats: CapcLabelResult['stats'],
): Promise<void> {
  const request: CapcBatchRequest = {
    batchId: randomUUID(),
    firstOrdinal,
    queries: features.map((x) => encodeBase64(encryptor.encryptQuery(x))),
  };
  const batch = await http.post<CapcBatchResponse>(`/v1/jobs/${jobId}/capc/batches`, request);
  const modulus = batch.modulus;
  // Per teacher service: its argmax instances (query-major, partition-minor) with this party's logit shares.
  const sides = await Promise.all(
    batch.teachers.map(async (teacher) => {
      const shares: Uint32Array[] = [];
      teacher.responses.forEach((row) => {
        row.forEach((encoded, g) => {
          const bytes = decodeCanonicalBase64(encoded);
          if (!bytes) throw new CapcClientError('UPSTREAM_ERROR', 'a response is not base64', 502);
          const size = teacher.packing[g]!;
          const share = clientFor(size).decryptShare(bytes);
          for (let p = 0; p < size; p++) shares.push(share.slice(p * classes, (p + 1) * classes));
        });
      });
      const halvesBytes = await fetchQueryingHalves(dealer, teacher.dealerSessionId);
      stats.bytesReceived += halvesBytes.length;
      const halves = decodeCorrelationBatch(halvesBytes);
      if (halves.length !== shares.length) throw new CapcClientError('UPSTREAM_ERROR', 'wrong number of halves', 502);
      const parties = halves.map(
        (correlation, i) => new ArgmaxParty({ party: 0, shares: shares[i]!, correlation, ledger }),
      );
      let outgoing = parties.map((party) => {
        const step = party.start();
        if (step.kind !== 'send') throw new CapcClientError('INTERNAL', 'argmax finished early', 500);
        return step.message;
      });
      return {
        teacher: teacher.teacher,
        parties,
        get outgoing() {
          return outgoing;
        },
        set outgoing(next: Uint8Array[]) {
          outgoing = next;
        },
        results: [] as Uint32Array[],
      };
    }),
  );
  for (let round = 1; ; round++) {
    const messages = Object.fromEntries(sides.map((side) => [side.teacher, encodeBase64(concat(side.outgoing))]));
    const answer = await http.post<CapcRoundResponse>(
      `/v1/jobs/${jobId}/capc/batches/${request.batchId}/rounds/${round}`,
      { messages },
    );
    stats.rounds++;
    let done = 0;
    for (const side of sides) {
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
      if (next.length === 0) done++;
    }
    if (done === sides.length) break;
    if (done > 0) throw new CapcClientError('INTERNAL', 'teacher argmaxes out of step', 500);
  }
  // Only the sum over every teacher service and partition leaves this process: never one teacher's share.
  const sums = new Uint32Array(features.length * classes);
  for (const side of sides) {
    const perQuery = side.parties.length / features.length;
    side.results.forEach((shares, i) => {
      const q = Math.floor(i / perQuery);
      for (let c = 0; c < classes; c++) sums[q * classes + c] = (sums[q * classes + c]! + shares[c]!) % modulus;
    });
  }
  await http.post<CapcShareSumResponse>(`/v1/jobs/${jobId}/capc/batches/${request.batchId}/shares`, {
    shareSums: encodeBase64(encodeU32(sums)),
  });
}

async function waitForJob(http: ApiHttp, jobId: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await http.get<{ status: string }>(`/v1/jobs/${jobId}`);
    if (!['queued', 'running'].includes(job.status)) return job.status;
    if (Date.now() > deadline) throw new CapcClientError('TIMEOUT', `job still ${job.status}`, 504);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** JSON over HTTP to the api, counting bytes on the wire (bodies). */
class ApiHttp {
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
