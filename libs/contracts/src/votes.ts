/**
 * The guardian ↔ teacher service protocol of `pate` mode. Features travel as base64 of little-endian
 * float32 values, in the order of the dataset's declared record schema.
 */
export interface VoteRequest {
  /** The consortium dataset, by the name the teacher service knows it under. */
  dataset: string;
  queries: Array<{ queryId: string; features: string }>;
}

export interface VoteResponse {
  /** The answering service (teacher-<id>). */
  service: string;
  dataset: string;
  /** How many of its teachers (one per partition) voted on every query. */
  teachers: number;
  /**
   * Per query, one vote per teacher: the predicted class, or for multi-label data the list of labels the
   * teacher predicts positive.
   */
  votes: Array<{ queryId: string; classes?: number[]; positives?: number[][] }>;
}

/** Largest batch of queries in one vote request. */
export const MAX_VOTE_BATCH = 512;

/** Encodes features for the wire. */
export function encodeFeatures(features: Float32Array): string {
  return Buffer.from(features.buffer, features.byteOffset, features.byteLength).toString('base64');
}

/** Decodes wire features; null when the payload is not a whole number of float32 values. */
export function decodeFeatures(encoded: string): Float32Array | null {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) return null;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/**
 * The packed form of a vote request (POST /v1/votes/packed, `application/octet-stream`), what the guardian sends:
 * the features as raw little-endian float32 values instead of base64 in JSON, so neither side encodes, decodes or
 * parses a megabyte of text per batch. Layout: the magic `CVQ1`; the header's length in bytes (uint32 LE); the header,
 * UTF-8 JSON `{ dataset, queryIds, valuesPerQuery }`; then queryIds.length × valuesPerQuery float32 LE values, query
 * after query.
 */
export const PACKED_VOTE_REQUEST_TYPE = 'application/octet-stream';
const PACKED_MAGIC = Buffer.from('CVQ1', 'latin1');
/** The header holds at most MAX_VOTE_BATCH ids of ≤ 200 characters, each up to 4 UTF-8 bytes, and JSON quoting. */
export const MAX_PACKED_HEADER_BYTES = 1024 * 1024;

export interface PackedVoteRequestHeader {
  dataset: string;
  queryIds: string[];
  valuesPerQuery: number;
}

/** Packs a vote request; each query's features are already little-endian float32 bytes (as stored). */
export function encodePackedVoteRequest(
  dataset: string,
  queries: ReadonlyArray<{ queryId: string; features: Uint8Array }>,
): Buffer {
  const bytesPerQuery = queries[0]?.features.byteLength ?? 0;
  if (bytesPerQuery % 4 !== 0 || queries.some((q) => q.features.byteLength !== bytesPerQuery)) {
    throw new RangeError('every query must have the same whole number of float32 values');
  }
  const header: PackedVoteRequestHeader = {
    dataset,
    queryIds: queries.map((q) => q.queryId),
    valuesPerQuery: bytesPerQuery / 4,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  return Buffer.concat([PACKED_MAGIC, length, headerBytes, ...queries.map((q) => q.features)]);
}

/**
 * Splits a packed vote request into its header (shape-checked: the caller validates the values) and its feature
 * bytes; a string naming the problem when the body is not one (never quoting the body).
 */
export function decodePackedVoteRequest(
  body: Uint8Array,
): { header: PackedVoteRequestHeader; features: Uint8Array } | string {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(PACKED_MAGIC)) return 'not a packed vote request (magic CVQ1)';
  const headerLength = bytes.readUInt32LE(4);
  if (headerLength > MAX_PACKED_HEADER_BYTES || 8 + headerLength > bytes.length) return 'header length out of range';
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
  } catch {
    return 'header is not JSON';
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'header must be an object';
  const { dataset, queryIds, valuesPerQuery } = header as Record<string, unknown>;
  const extra = Object.keys(header).find((key) => !['dataset', 'queryIds', 'valuesPerQuery'].includes(key));
  if (extra !== undefined) return `header property ${extra.slice(0, 40)} should not exist`;
  if (typeof dataset !== 'string') return 'header.dataset must be a string';
  if (!Array.isArray(queryIds) || !queryIds.every((id) => typeof id === 'string')) {
    return 'header.queryIds must be an array of strings';
  }
  if (!Number.isSafeInteger(valuesPerQuery) || (valuesPerQuery as number) < 1) {
    return 'header.valuesPerQuery must be a positive integer';
  }
  const features = bytes.subarray(8 + headerLength);
  if (features.length !== queryIds.length * (valuesPerQuery as number) * 4) {
    return `the body must hold ${queryIds.length} × ${valuesPerQuery as number} float32 values after the header`;
  }
  return { header: { dataset, queryIds: queryIds as string[], valuesPerQuery: valuesPerQuery as number }, features };
}
