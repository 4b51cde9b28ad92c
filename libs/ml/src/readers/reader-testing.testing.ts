import { Readable } from 'node:stream';
import type { DataRecord } from '../schema/record.schema.js';

/** A Readable that delivers `text` in chunks of `chunkSize` bytes (exercises the streaming code paths). */
export function chunkedStream(data: string | Buffer, chunkSize = 7): Readable {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

export async function collect(records: AsyncIterable<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

/** The rejection of `promise`, for assertions on code, message and details. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a failure');
}
