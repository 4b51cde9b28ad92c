import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '@conclave/common';
import {
  readCsvRecords,
  readIdxRecords,
  readJsonlRecords,
  readPngRecords,
  type DataRecord,
  type PngEntry,
  type RecordSchema,
} from '@conclave/ml';
import { readMultipartParts, type MultipartPart, type MultipartSource } from './multipart-parts.reader.js';

export const UPLOAD_FORMATS = ['csv', 'jsonl', 'idx', 'png'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

/** An upload as it arrives: the request's headers and its body, read once as a stream. */
export interface UploadSource extends MultipartSource {
  headers: IncomingHttpHeaders;
  /** Node's Readable.iterator: read without destroying the request on an early stop (so an error can be sent). */
  iterator(options: { destroyOnReturn: boolean }): AsyncIterableIterator<unknown>;
}

const CSV_TYPES = ['text/csv', 'application/csv'];
const JSONL_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines'];
const MULTIPART_TYPE = 'multipart/form-data';

function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The format of an upload, from its Content-Type (and `format` for multipart bodies, which can hold IDX or PNG). */
export function uploadFormat(headers: IncomingHttpHeaders, requested?: UploadFormat, unlabeled = false): UploadFormat {
  const type = mediaType(headers);
  let format: UploadFormat;
  if (unlabeled && type === 'application/octet-stream' && requested === 'idx') format = 'idx';
  else if (CSV_TYPES.includes(type)) format = 'csv';
  else if (JSONL_TYPES.includes(type)) format = 'jsonl';
  else if (type === MULTIPART_TYPE) {
    if (requested !== 'idx' && requested !== 'png') {
      throw new DomainError('VALIDATION_FAILED', 'a multipart/form-data upload needs ?format=idx or ?format=png');
    }
    format = requested;
  } else {
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `records are uploaded as text/csv, application/x-ndjson or multipart/form-data (IDX, PNG), not '${type || 'none'}'`,
    );
  }
  if (requested && requested !== format) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `format '${requested}' does not match Content-Type '${type}'`);
  }
  return format;
}

function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Opens an upload of labeled records: checks the media type and the declared length at once (before any byte
 * is read), then streams the validated records of the body. Nothing is buffered beyond a chunk (CSV, JSONL,
 * IDX images), one image (PNG) or the IDX labels file (one byte per record).
 *
 * Multipart layouts (documented in the teacher README):
 * - IDX: a file part `labels` (idx1-ubyte) first, then a file part `images` (idx3-ubyte), as MNIST ships them.
 * - PNG: a text field `labels` (a JSON array, the i-th label for the i-th image) first, then one file part
 *   `image` per PNG, in order.
 */
export function openRecordUpload(
  source: UploadSource,
  options: { schema: RecordSchema; maxBytes: number; format?: UploadFormat; withLabels?: boolean },
): AsyncGenerator<DataRecord> {
  const withLabels = options.withLabels ?? true;
  const format = uploadFormat(source.headers, options.format, !withLabels);
  const length = declaredLength(source.headers);
  if (length !== undefined && length > options.maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `the upload exceeds the limit of ${options.maxBytes} bytes`, {
      maxBytes: options.maxBytes,
    });
  }
  const readerOptions = { schema: options.schema, maxBytes: options.maxBytes, withLabels };
  const body = () => source.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
  switch (format) {
    case 'csv':
      return readCsvRecords(body(), readerOptions);
    case 'jsonl':
      return readJsonlRecords(body(), readerOptions);
    case 'idx':
      if (!withLabels && mediaType(source.headers) !== MULTIPART_TYPE) {
        // Unlabeled images: the idx3 file itself may be the body.
        return readIdxRecords({ images: body() }, readerOptions);
      }
      return readIdxUpload(readMultipartParts(source, { maxBytes: options.maxBytes }), readerOptions);
    case 'png':
      return readPngUpload(readMultipartParts(source, { maxBytes: options.maxBytes }), readerOptions);
  }
}

function unexpectedPart(part: MultipartPart, expected: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `unexpected ${part.kind} part '${part.name}': expected ${expected}`, {
    field: part.name,
  });
}

async function readAll(data: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* readIdxUpload(
  parts: AsyncGenerator<MultipartPart>,
  options: { schema: RecordSchema; maxBytes: number; withLabels: boolean },
): AsyncGenerator<DataRecord> {
  try {
    if (!options.withLabels) {
      const only = await parts.next();
      if (only.done) throw new DomainError('VALIDATION_FAILED', "the form is empty: expected the file part 'images'");
      if (only.value.kind !== 'file' || only.value.name !== 'images')
        throw unexpectedPart(only.value, "the file part 'images'");
      yield* readIdxRecords({ images: only.value.data }, options);
      const extra = await parts.next();
      if (!extra.done) throw unexpectedPart(extra.value, 'the end of the form after images');
      return;
    }
    const first = await parts.next();
    if (first.done || first.value.kind !== 'file' || first.value.name !== 'labels') {
      if (first.done)
        throw new DomainError('VALIDATION_FAILED', 'the form is empty: expected the file parts labels, then images');
      throw unexpectedPart(first.value, "the file part 'labels' first, then 'images'");
    }
    // The labels file is one byte per record: it is held while the images stream past.
    const labels = await readAll(first.value.data);
    const second = await parts.next();
    if (second.done) throw new DomainError('VALIDATION_FAILED', "the form has no file part 'images'");
    if (second.value.kind !== 'file' || second.value.name !== 'images') {
      throw unexpectedPart(second.value, "the file part 'images' after 'labels'");
    }
    yield* readIdxRecords({ images: second.value.data, labels: [labels] }, options);
    const extra = await parts.next();
    if (!extra.done) throw unexpectedPart(extra.value, 'the end of the form after images');
  } finally {
    await parts.return(undefined);
  }
}

async function* readPngUpload(
  parts: AsyncGenerator<MultipartPart>,
  options: { schema: RecordSchema; maxBytes: number; withLabels: boolean },
): AsyncGenerator<DataRecord> {
  try {
    if (!options.withLabels) {
      yield* readPngRecords(imageParts(parts), options);
      return;
    }
    const first = await parts.next();
    if (first.done)
      throw new DomainError('VALIDATION_FAILED', "the form is empty: expected the field 'labels', then image files");
    if (first.value.kind !== 'field' || first.value.name !== 'labels') {
      throw unexpectedPart(first.value, "the field 'labels' (a JSON array) before the images");
    }
    let labels: unknown;
    try {
      labels = JSON.parse(first.value.value);
    } catch {
      labels = undefined;
    }
    if (!Array.isArray(labels)) {
      throw new DomainError('VALIDATION_FAILED', "field 'labels' must be a JSON array with one label per image", {
        field: 'labels',
      });
    }
    const labelList = labels as unknown[];
    let images = 0;
    async function* entries(): AsyncGenerator<PngEntry> {
      for (;;) {
        const next = await parts.next();
        if (next.done) return;
        if (next.value.kind !== 'file' || next.value.name !== 'image') {
          throw unexpectedPart(next.value, "file parts 'image'");
        }
        images += 1;
        yield { data: next.value.data, label: labelList[images - 1] };
      }
    }
    yield* readPngRecords(entries(), options);
    if (images !== labelList.length) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `field 'labels' lists ${labelList.length} labels for ${images} images`,
        { field: 'labels' },
      );
    }
  } finally {
    await parts.return(undefined);
  }
}

/** Unlabeled PNG uploads: every part is a file part `image`. */
async function* imageParts(parts: AsyncGenerator<MultipartPart>): AsyncGenerator<PngEntry> {
  for (;;) {
    const next = await parts.next();
    if (next.done) return;
    if (next.value.kind !== 'file' || next.value.name !== 'image')
      throw unexpectedPart(next.value, "file parts 'image'");
    yield { data: next.value.data };
  }
}
