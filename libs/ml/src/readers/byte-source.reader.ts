import { DomainError } from '@conclave/common';

/** Where reader bytes come from: a Node Readable (which is an async iterable of Buffers) or any iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Throws when a size limit is not a positive integer: a missing limit would make the readers unbounded. */
export function assertByteLimit(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new DomainError('VALIDATION_FAILED', 'maxBytes must be a positive integer');
  }
}

/** Shares one byte budget between several sources (IDX images and labels, a batch of PNG files). */
export class ByteBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {
    assertByteLimit(maxBytes);
  }

  get bytesRead(): number {
    return this.used;
  }

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `the data exceeds the limit of ${this.maxBytes} bytes`, {
        maxBytes: this.maxBytes,
      });
    }
  }

  /** Yields the source's chunks as Buffers, failing as soon as the budget is exceeded (before buffering more). */
  async *limit(source: ByteSource): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const buffer = toBuffer(chunk as Uint8Array | string);
      this.charge(buffer.length);
      yield buffer;
    }
  }
}

/** Yields `source` as Buffers and fails with PAYLOAD_TOO_LARGE once more than `maxBytes` have arrived. */
export function limitBytes(source: ByteSource, maxBytes: number): AsyncGenerator<Buffer> {
  return new ByteBudget(maxBytes).limit(source);
}

/**
 * Pulls exact byte counts out of a chunked stream (for binary formats such as IDX).
 * Keeps at most one chunk plus the bytes of the read in progress.
 */
export class ExactByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(chunks: AsyncIterable<Buffer>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer only when the stream ended (the caller decides whether that is an error). */
  async read(n: number): Promise<Buffer> {
    while (this.pendingBytes < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
      } else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const take = Math.min(n, all.length);
    const out = all.subarray(0, take);
    const rest = all.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    if (this.pendingBytes > 0) return false;
    const probe = await this.read(1);
    if (probe.length === 0) return true;
    this.pending = [probe];
    this.pendingBytes = 1;
    return false;
  }

  /** Stops the underlying stream early (e.g. after an error), releasing its resources. */
  async close(): Promise<void> {
    this.done = true;
    await this.iterator.return?.();
  }
}

/** Reads the whole source into one Buffer, within the budget. */
export async function readAllBytes(source: ByteSource | Uint8Array, budget: ByteBudget): Promise<Buffer> {
  if (source instanceof Uint8Array) {
    budget.charge(source.byteLength);
    return toBuffer(source);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of budget.limit(source)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
