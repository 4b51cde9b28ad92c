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
