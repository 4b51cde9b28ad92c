/**
 * Wire messages of confidential (CaPC) labeling jobs. Every HE object and argmax message travels as canonical
 * base64 of libs/crypto's own envelopes ("CNHE" ciphertexts and keys, "CNAX" argmax messages), never as SEAL bytes.
 *
 * Routes (querying party → api, which relays through the coordinator to the teacher services):
 *   POST /v1/jobs {mode: 'capc', capc: CapcJobSetup, …}                      → the job
 *   POST /v1/jobs/:jobId/capc/batches            CapcBatchRequest            → CapcBatchResponse
 *   POST /v1/jobs/:jobId/capc/batches/:batchId/rounds/:round  CapcRoundRequest → CapcRoundResponse
 *   POST /v1/jobs/:jobId/capc/batches/:batchId/shares         CapcShareSumRequest → CapcShareSumResponse
 * Guardian → teacher service (guardian key):
 *   POST /v1/capc/evaluate                       CapcEvaluateRequest         → CapcEvaluateResponse
 *   POST /v1/capc/sessions/:sessionId/rounds/:round  CapcTeacherRoundRequest → CapcTeacherRoundResponse
 */

/** Most queries in one batch (and so most query ciphertexts; a BFV_8192 ciphertext is ~197 kB, responses as large). */
export const CAPC_MAX_BATCH = 32;

/** Most queries one ciphertext may pack (libs/crypto queryStride: BFV_8192, 10 classes, 64 features take 11). */
export const CAPC_MAX_QUERIES_PER_CIPHERTEXT = 64;

/**
 * How a batch's queries sit in its ciphertexts: `queriesPerCiphertext` Q (default 1) queries per ciphertext, query s
 * of a ciphertext from coefficient s * floor(N / Q) on (libs/crypto queryStride), the batch's `queryCount` queries in
 * order (default: every slot of every ciphertext), so ciphertexts = ceil(queryCount / Q): only the last one may hold
 * fewer than Q. One teacher product then answers Q queries.
 */
export interface CapcQueryPacking {
  queriesPerCiphertext?: number;
  queryCount?: number;
}

/** Checks a batch's packing against its number of ciphertexts; the defaults filled in, or why it is refused. */
export function capcQueryPacking(
  ciphertexts: number,
  packing: CapcQueryPacking,
): { ok: true; queriesPerCiphertext: number; queryCount: number } | { ok: false; field: string; message: string } {
  const perCiphertext = packing.queriesPerCiphertext ?? 1;
  if (!Number.isInteger(perCiphertext) || perCiphertext < 1 || perCiphertext > CAPC_MAX_QUERIES_PER_CIPHERTEXT) {
    return {
      ok: false,
      field: 'queriesPerCiphertext',
      message: `must be an integer from 1 to ${CAPC_MAX_QUERIES_PER_CIPHERTEXT}`,
    };
  }
  const count = packing.queryCount ?? ciphertexts * perCiphertext;
  if (!Number.isInteger(count) || count < 1 || count > CAPC_MAX_BATCH) {
    return { ok: false, field: 'queryCount', message: `a batch holds 1 to ${CAPC_MAX_BATCH} queries` };
  }
  if (Math.ceil(count / perCiphertext) !== ciphertexts) {
    return {
      ok: false,
      field: 'queryCount',
      message: `${count} queries at ${perCiphertext} per ciphertext take ${Math.ceil(count / perCiphertext)} ciphertexts, not ${ciphertexts}`,
    };
  }
  return { ok: true, queriesPerCiphertext: perCiphertext, queryCount: count };
}

/** Argmax instances of one batch and teacher service are ordered query-major, partition-minor. */
export interface CapcExtractorDescriptor {
  /** Which public feature extractor the querying party ran (the teachers' heads must be on the same one). */
  id: string;
  /** Length of the quantized feature vector. */
  dimension: number;
  /** Quantized feature = round(feature × featureScale), clamped to ±maxAbsFeature. */
  featureScale: number;
  maxAbsFeature: number;
}

/** Registered with a capc job: the querying party's HE parameters and public key (its secret key stays home). */
export interface CapcJobSetup {
  /** libs/crypto heParametersToJson of the parameter set (BFV for linear heads). */
  heParameters: Record<string, unknown>;
  /** base64 of the seeded public key envelope. */
  publicKey: string;
  extractor: CapcExtractorDescriptor;
}

export interface CapcBatchRequest extends CapcQueryPacking {
  /** Chosen by the querying party (uuid); a batch id is used once. */
  batchId: string;
  /** The job's next queries, by ordinal: [firstOrdinal, firstOrdinal + queryCount). */
  firstOrdinal: number;
  /** base64 of each query ciphertext (queriesPerCiphertext queries each), in ordinal order. */
  queries: string[];
}

/** One teacher service's part of a batch, as the querying party sees it. */
export interface CapcTeacherBatch {
  /** Opaque id of the teacher service (its party id in the consortium); names its argmax messages. */
  teacher: string;
  /** Dealer session holding the correlations of this teacher's argmax instances (querying party = party 0). */
  dealerSessionId: string;
  /** Partitions (teachers) of this service that answer; argmax instances = queries × partitions. */
  partitions: number;
  /** Partitions packed into each response ciphertext, in order (their sum is `partitions`). */
  packing: number[];
  /**
   * Per query ciphertext, the response ciphertexts (base64), one per packing group; each answers every query of its
   * query ciphertext (query-major: slot s, then the group's partitions, then classes).
   */
  responses: string[][];
}

export interface CapcBatchResponse {
  batchId: string;
  classes: number;
  /** The share ring Z_p (p = the BFV plain modulus). */
  modulus: number;
  teachers: CapcTeacherBatch[];
}

export interface CapcRoundRequest {
  /** Per teacher id: base64 of the concatenated argmax messages of this round, instance order. */
  messages: Record<string, string>;
}

export interface CapcRoundResponse {
  round: number;
  /** Per teacher id: the teacher's messages of the same round. */
  messages: Record<string, string>;
}

export interface CapcShareSumRequest {
  /** base64 of queries × classes little-endian u32: per query, the sum over every argmax of its one-hot shares. */
  shareSums: string;
}

export interface CapcShareSumResponse {
  batchId: string;
  accepted: number;
}

export interface CapcEvaluateRequest extends CapcQueryPacking {
  /** The guardian's session for this (batch, teacher service); the same id is the dealer session's. */
  sessionId: string;
  jobId: string;
  dataset: string;
  heParameters: Record<string, unknown>;
  publicKey: string;
  extractor: CapcExtractorDescriptor;
  classes: number;
  queries: string[];
}

export interface CapcEvaluateResponse {
  sessionId: string;
  partitions: number;
  packing: number[];
  responses: string[][];
  modulus: number;
}

export interface CapcTeacherRoundRequest {
  /** base64: the querying party's messages of this round, instance order. */
  message: string;
}

export interface CapcTeacherRoundResponse {
  round: number;
  /** base64: this teacher service's messages of the same round. */
  message: string;
  /**
   * Once its argmaxes are done (after the last round): base64 of queries × classes u32, the sum over its partitions
   * of its one-hot shares per query — uniformly random on its own. For the guardian only; never relayed further.
   */
  shareSums?: string;
}

/** Decodes canonical base64 (Node's decoder skips foreign characters: a payload must encode back to itself). */
export function decodeCanonicalBase64(value: unknown): Uint8Array | null {
  if (typeof value !== 'string') return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Little-endian u32 vector ↔ bytes (share sums). */
export function encodeU32(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(4 * i, values[i]!, true);
  return out;
}

export function decodeU32(bytes: Uint8Array): Uint32Array | null {
  if (bytes.length % 4 !== 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
}

/** libs/crypto's CryptoError codes as domain error codes (every one a 4xx: the input was refused, nothing failed). */
export function capcErrorCodeForCrypto(
  cryptoCode: string,
):
  | 'VALIDATION_FAILED'
  | 'INVALID_HE_PARAMETERS'
  | 'HE_CONTEXT_MISMATCH'
  | 'INVALID_CIPHERTEXT'
  | 'INVALID_HE_KEY'
  | 'INVALID_PROTOCOL_MESSAGE'
  | 'PROTOCOL_OUT_OF_ORDER'
  | 'REPLAY_DETECTED'
  | 'INTERNAL' {
  switch (cryptoCode) {
    case 'INVALID_PARAMETERS':
    case 'PARAMETERS_INSUFFICIENT':
      return 'INVALID_HE_PARAMETERS';
    case 'CONTEXT_MISMATCH':
      return 'HE_CONTEXT_MISMATCH';
    case 'INVALID_CIPHERTEXT':
      return 'INVALID_CIPHERTEXT';
    case 'INVALID_KEY':
      return 'INVALID_HE_KEY';
    case 'INVALID_MESSAGE':
    case 'CORRELATION_MISMATCH':
      return 'INVALID_PROTOCOL_MESSAGE';
    case 'PROTOCOL_STATE':
      return 'PROTOCOL_OUT_OF_ORDER';
    case 'CORRELATION_REUSED':
    case 'CORRELATION_EXHAUSTED':
      return 'REPLAY_DETECTED';
    case 'INVALID_ARGUMENT':
      return 'VALIDATION_FAILED';
    default:
      return 'INTERNAL';
  }
}
