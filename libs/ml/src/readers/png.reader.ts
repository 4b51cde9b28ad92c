import { PNG } from 'pngjs';
import { DomainError } from '@conclave/common';
import type { DataRecord, ImageSchema, RecordSchema } from '../schema/record.schema.js';
import { ByteBudget, readAllBytes, type ByteSource } from './byte-source.reader.js';
import {
  checkJsonLabel,
  checkRecordCount,
  labelToRead,
  recordError,
  type ReaderOptions,
} from './record-field.validator.js';

/** One PNG file of a batch, with its label when the data is labeled. */
export interface PngEntry {
  data: ByteSource | Uint8Array;
  label?: unknown;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IMAGE_FIELD = 'image';

function requireImage(schema: RecordSchema): ImageSchema {
  if (schema.kind !== 'image') throw new DomainError('VALIDATION_FAILED', 'PNG files take an image schema');
  return schema;
}

/**
 * Checks the PNG header before decoding: a small file can declare a huge image, so its dimensions are
 * compared with the schema before any pixel buffer is allocated.
 */
function checkHeader(bytes: Buffer, schema: ImageSchema, row: number): void {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(SIGNATURE) || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw recordError(row, IMAGE_FIELD, 'not a PNG file');
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width !== schema.width || height !== schema.height) {
    throw recordError(
      row,
      IMAGE_FIELD,
      `image is ${width}x${height}, the schema declares ${schema.width}x${schema.height}`,
    );
  }
  // pngjs inflates interlaced images without an output bound; non-interlaced ones are bounded by the size above.
  if (bytes[28] !== 0) throw recordError(row, IMAGE_FIELD, 'interlaced PNG is not supported');
}

/**
 * Decodes one PNG into the schema's layout (HWC, values in [0, 1]). Colour is converted to grayscale with the
 * ITU-R BT.601 luma weights when the schema has one channel; grayscale is replicated for three channels.
 * Transparent pixels are composited over black (MNIST's background).
 */
export function decodePng(bytes: Buffer, schema: RecordSchema, row = 1): Float32Array {
  const image = requireImage(schema);
  checkHeader(bytes, image, row);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(bytes);
  } catch {
    throw recordError(row, IMAGE_FIELD, 'corrupt PNG data');
  }
  const rgba = png.data;
  const pixels = image.width * image.height;
  const out = new Float32Array(pixels * image.channels);
  const color = png.color === true;
  for (let p = 0; p < pixels; p++) {
    const alpha = rgba[4 * p + 3] / 255;
    const r = (rgba[4 * p] / 255) * alpha;
    const g = (rgba[4 * p + 1] / 255) * alpha;
    const b = (rgba[4 * p + 2] / 255) * alpha;
    if (image.channels === 1) {
      out[p] = color ? 0.299 * r + 0.587 * g + 0.114 * b : r;
    } else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}

/**
 * Reads a batch of PNG files (one record each, numbered from 1 in order), all within one byte budget.
 * Labels, when read, come with each entry and are validated like JSONL labels.
 */
export async function* readPngRecords(
  entries: Iterable<PngEntry> | AsyncIterable<PngEntry>,
  options: ReaderOptions,
): AsyncGenerator<DataRecord> {
  const schema = requireImage(options.schema);
  const label = labelToRead(options);
  const budget = new ByteBudget(options.maxBytes);
  let row = 0;
  for await (const entry of entries) {
    row += 1;
    checkRecordCount(row, options);
    const features = decodePng(await readAllBytes(entry.data, budget), schema, row);
    if (label) {
      yield { features, label: checkJsonLabel(entry.label, label, row) };
    } else {
      yield { features };
    }
  }
}
