import type {
  CapcBatchResponse,
  CapcEvaluateRequest,
  CapcEvaluateResponse,
  CapcQueryPacking,
  CapcTeacherBatch,
} from './capc.js';

/**
 * Framed binary bodies of confidential (capc) mode: the large messages — encrypted queries, the public key, masked
 * responses — travel as raw bytes instead of base64 inside JSON (a third fewer bytes, and no JSON parsing or base64
 * coding of megabytes in every process they cross). Small fields travel in a JSON header.
 *
 *   "CNFR" | version 1 | 3 zero bytes | header length u32 | header (UTF-8 JSON object) | frame count u32 |
 *   count × (frame length u32 | frame bytes)                                                   (little-endian)
 *
 * Routes (Content-Type and Accept: application/octet-stream; errors are the usual JSON error bodies):
 *   POST /v1/jobs/:jobId/capc/batches/framed   CapcFramedBatchRequest   → CapcFramedBatchResponse  (querying party → api)
 *   POST /v1/capc/evaluate/framed              CapcFramedEvaluateRequest → CapcFramedEvaluateResponse (guardian → teacher)
 * The JSON routes (capc.ts) stay, with the same rules and refusals.
 */
export const CAPC_FRAMED_CONTENT_TYPE = 'application/octet-stream';

const MAGIC = [0x43, 0x4e, 0x46, 0x52]; // "CNFR"
const VERSION = 1;
const PREFIX_BYTES = 12; // magic, version, reserved, header length

/** A framed body before it is written: its JSON header and its frames. */
export interface CapcFramed {
  header: object;
  frames: Uint8Array[];
}

/** Batch request: frames = the query ciphertexts (CNHE envelopes), in ordinal order (see CapcQueryPacking). */
export interface CapcFramedBatchRequestHeader extends CapcQueryPacking {
  batchId: string;
  firstOrdinal: number;
}

/** Batch response: frames = every teacher's responses, teacher-major, then query ciphertext, then packing group. */
export interface CapcFramedBatchResponseHeader extends Omit<CapcBatchResponse, 'teachers'> {
  teachers: Array<Omit<CapcTeacherBatch, 'responses'>>;
}

/** Evaluate request: frames = [public key, ...queries]. */
export type CapcFramedEvaluateRequestHeader = Omit<CapcEvaluateRequest, 'publicKey' | 'queries'>;

/** Evaluate response: frames = the responses, query ciphertext-major, then packing group. */
export type CapcFramedEvaluateResponseHeader = Omit<CapcEvaluateResponse, 'responses'>;

/**
 * A framed body as the parts to write one after the other (the frames themselves are not copied): the prefix and
 * header, then each frame's length and bytes. `byteLength` is their total (the Content-Length).
 */
export function capcFrameParts(
  header: object,
  frames: readonly Uint8Array[],
): { parts: Uint8Array[]; byteLength: number } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.allocUnsafe(PREFIX_BYTES + json.length + 4);
  head.set(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4); // version, then three zero bytes
  head.writeUInt32LE(json.length, 8);
  head.set(json, PREFIX_BYTES);
  head.writeUInt32LE(frames.length, PREFIX_BYTES + json.length);
  const lengths = Buffer.allocUnsafe(4 * frames.length);
  const parts: Uint8Array[] = [head];
  let byteLength = head.length;
  frames.forEach((frame, i) => {
    lengths.writeUInt32LE(frame.length, 4 * i);
    parts.push(lengths.subarray(4 * i, 4 * i + 4), frame);
    byteLength += 4 + frame.length;
  });
  return { parts, byteLength };
}

/** A framed body in one buffer. */
export function encodeCapcFrames(header: object, frames: readonly Uint8Array[]): Uint8Array {
  const { parts, byteLength } = capcFrameParts(header, frames);
  const out = Buffer.concat(parts, byteLength);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface CapcFramesLimits {
  /** Most frames accepted. */
  maxFrames: number;
  /** Largest frame accepted (bytes); a larger one → `too-large` with its index. */
  maxFrameBytes: number;
  /** Largest JSON header (bytes); default 64 KiB. */
  maxHeaderBytes?: number;
}

export type CapcFramesDecoded =
  | { ok: true; header: Record<string, unknown>; frames: Uint8Array[] }
  | { ok: false; reason: 'malformed' | 'too-large'; message: string; frame?: number };

/**
 * Parses a framed body; frames are views into `bytes` (no copy). Anything that is not exactly one header object and
 * `count` frames to the last byte is `malformed`; a frame or header above its limit is `too-large`.
 */
export function decodeCapcFrames(bytes: Uint8Array, limits: CapcFramesLimits): CapcFramesDecoded {
  const malformed = (message: string): CapcFramesDecoded => ({ ok: false, reason: 'malformed', message });
  if (!(bytes instanceof Uint8Array) || bytes.length < PREFIX_BYTES + 4) return malformed('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (MAGIC.some((m, i) => bytes[i] !== m) || view.getUint32(4, true) !== VERSION) {
    return malformed('not a framed capc body (CNFR, version 1)');
  }
  const headerBytes = view.getUint32(8, true);
  if (headerBytes > (limits.maxHeaderBytes ?? 64 * 1024)) {
    return { ok: false, reason: 'too-large', message: 'header too large' };
  }
  if (PREFIX_BYTES + headerBytes + 4 > bytes.length) return malformed('truncated header');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + PREFIX_BYTES, headerBytes).toString('utf8'));
  } catch {
    return malformed('the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return malformed('the header is not a JSON object');
  }
  let offset = PREFIX_BYTES + headerBytes;
  const count = view.getUint32(offset, true);
  offset += 4;
  if (count > limits.maxFrames) return malformed(`more than ${limits.maxFrames} frames`);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) return malformed('truncated frame');
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > limits.maxFrameBytes) {
      return {
        ok: false,
        reason: 'too-large',
        message: `frame ${i} larger than ${limits.maxFrameBytes} bytes`,
        frame: i,
      };
    }
    if (length > bytes.length - offset) return malformed('truncated frame');
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) return malformed('trailing bytes');
  return { ok: true, header: header as Record<string, unknown>, frames };
}

/** What readCapcRequestBody needs of a Node request (http.IncomingMessage). */
export interface CapcBodySource {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Reads a whole request body of at most `maxBytes`; null as soon as it is larger. The rest of a larger body is read
 * and dropped (not kept), so that the refusal can still be answered on the connection.
 */
export function readCapcRequestBody(source: CapcBodySource, maxBytes: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    let parts: Uint8Array[] = [];
    let length = 0;
    let over = false;
    source.on('data', (chunk) => {
      if (over) return;
      length += chunk.length;
      if (length > maxBytes) {
        over = true;
        parts = [];
        resolve(null);
        return;
      }
      parts.push(chunk);
    });
    source.on('end', () => {
      if (over) return;
      const body = Buffer.concat(parts, length);
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    });
    source.on('error', (error) => {
      if (!over) reject(error);
    });
  });
}
