import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import busboy, { type Busboy } from 'busboy';
import { DomainError, isDomainError } from '@conclave/common';

/** One part of a multipart/form-data body, in the order the client sent it. */
export type MultipartPart =
  { kind: 'field'; name: string; value: string } | { kind: 'file'; name: string; data: AsyncIterable<Buffer> };

/** What a multipart body is read from: an HTTP request (or any byte stream with its headers). */
export interface MultipartSource {
  headers: IncomingHttpHeaders;
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  unpipe(destination?: NodeJS.WritableStream): unknown;
}

export interface MultipartLimits {
  /** Bytes of the whole body; beyond it the read fails with PAYLOAD_TOO_LARGE. */
  maxBytes: number;
  /** Text fields (default 16). */
  maxFields?: number;
  /** Bytes of one text field (default 8 MiB: a PNG batch's label list). */
  maxFieldBytes?: number;
  /** File parts (default 1,000,000). */
  maxFiles?: number;
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${maxBytes} bytes`, { maxBytes });
}

/** busboy's own errors may quote headers; only a generic message reaches the caller. */
function malformed(error: unknown): DomainError {
  if (isDomainError(error)) return error;
  return new DomainError('MALFORMED_REQUEST', 'the multipart/form-data body is malformed or incomplete');
}

/** Counts the raw body and fails once it exceeds the limit, before busboy sees more. */
class ByteLimiter extends Transform {
  private seen = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) callback(tooLarge(this.maxBytes));
    else callback(null, chunk);
  }
}

/** A file part's bytes, with parser failures turned into domain errors. */
async function* guarded(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    throw malformed(error);
  }
}

/**
 * Streams the parts of a multipart/form-data body, one at a time and in order. A file part must be consumed
 * (or abandoned by moving to the next part) before the next part is parsed, so at most one part's chunk is
 * buffered: the body is never held in memory. Leaving the loop early stops parsing; the caller drains or
 * closes the request.
 */
export async function* readMultipartParts(
  source: MultipartSource,
  limits: MultipartLimits,
): AsyncGenerator<MultipartPart> {
  let parser: Busboy;
  try {
    parser = busboy({
      headers: source.headers,
      limits: {
        fields: limits.maxFields ?? 16,
        fieldSize: limits.maxFieldBytes ?? 8 * 1024 * 1024,
        files: limits.maxFiles ?? 1_000_000,
        fileSize: limits.maxBytes,
      },
    });
  } catch {
    throw new DomainError('MALFORMED_REQUEST', 'multipart/form-data needs a boundary in its Content-Type');
  }
  const limiter = new ByteLimiter(limits.maxBytes);

  const queue: MultipartPart[] = [];
  let finished = false;
  let failure: DomainError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: unknown) => {
    failure ??= malformed(error);
    notify();
  };

  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) return fail(new DomainError('PAYLOAD_TOO_LARGE', `field '${name}' is too large`));
    queue.push({ kind: 'field', name, value });
    notify();
  });
  parser.on('file', (name, stream) => {
    stream.on('limit', () => stream.destroy(tooLarge(limits.maxBytes)));
    // Errors reach the consumer through the stream's iterator; a part abandoned on cleanup must not crash.
    stream.on('error', () => undefined);
    queue.push({ kind: 'file', name, data: guarded(stream) });
    notify();
  });
  parser.on('fieldsLimit', () => fail(new DomainError('VALIDATION_FAILED', 'the form has too many fields')));
  parser.on('filesLimit', () => fail(new DomainError('PAYLOAD_TOO_LARGE', 'the form has too many files')));
  parser.on('error', fail);
  parser.on('finish', () => {
    finished = true;
    notify();
  });
  limiter.on('error', (error) => {
    parser.destroy(error);
    fail(error);
  });
  source.pipe(limiter).pipe(parser);

  try {
    for (;;) {
      if (failure) throw failure;
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!finished) {
      source.unpipe(limiter);
      limiter.unpipe(parser);
      parser.destroy();
    }
  }
}
