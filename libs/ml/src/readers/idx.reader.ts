import { DomainError } from '@conclave/common';
import type { DataRecord, ImageSchema } from '../schema/record.schema.js';
import { ByteBudget, ExactByteReader, type ByteSource } from './byte-source.reader.js';
import { checkJsonLabel, checkRecordCount, labelToRead, type ReaderOptions } from './record-field.validator.js';

/** The IDX files of one data set (MNIST ships images as idx3 and labels as idx1). */
export interface IdxSources {
  images: ByteSource;
  labels?: ByteSource;
}

/** IDX type code of unsigned bytes, the only element type image data sets use. */
const UBYTE = 0x08;

interface IdxHeader {
  dims: number[];
}

function idxError(file: string, problem: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `IDX ${file}: ${problem}`, { field: file });
}

/** Reads the magic number (0x00 0x00 type ndims) and the big-endian uint32 dimensions. */
async function readHeader(reader: ExactByteReader, file: string, expectedDims: number[]): Promise<IdxHeader> {
  const magic = await reader.read(4);
  if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0) throw idxError(file, 'bad magic number');
  if (magic[2] !== UBYTE) throw idxError(file, 'unsupported element type (only unsigned bytes)');
  const ndims = magic[3];
  if (!expectedDims.includes(ndims)) {
    throw idxError(file, `has ${ndims} dimensions, expected ${expectedDims.join(' or ')}`);
  }
  const raw = await reader.read(4 * ndims);
  if (raw.length < 4 * ndims) throw idxError(file, 'truncated header');
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(raw.readUInt32BE(4 * d));
  return { dims };
}

function checkImageDims(dims: number[], schema: ImageSchema): void {
  const [, height, width, channels = 1] = dims;
  if (height !== schema.height || width !== schema.width || channels !== schema.channels) {
    throw idxError(
      'images',
      `records are ${width}x${height}x${channels}, the schema declares ${schema.width}x${schema.height}x${schema.channels}`,
    );
  }
}

/**
 * Streams validated records from IDX files: images as [n, height, width] (idx3) or [n, height, width, channels]
 * (idx4) unsigned bytes, normalised to [0, 1]; labels as [n] unsigned bytes (idx1). Validates the magic numbers,
 * the dimensions against the schema, that both files hold the same number of records, and that nothing is
 * missing or left over. Both files share the byte limit.
 */
export async function* readIdxRecords(sources: IdxSources, options: ReaderOptions): AsyncGenerator<DataRecord> {
  const schema = options.schema;
  if (schema.kind !== 'image') throw new DomainError('VALIDATION_FAILED', 'IDX files take an image schema');
  const label = labelToRead(options);
  if (label?.multiLabel) throw new DomainError('VALIDATION_FAILED', 'IDX labels hold one class per record');
  if (label && !sources.labels) throw idxError('labels', 'file is missing');

  const budget = new ByteBudget(options.maxBytes);
  const images = new ExactByteReader(budget.limit(sources.images));
  const labels = label && sources.labels ? new ExactByteReader(budget.limit(sources.labels)) : undefined;
  try {
    const imageHeader = await readHeader(images, 'images', [3, 4]);
    checkImageDims(imageHeader.dims, schema);
    const count = imageHeader.dims[0];
    if (labels) {
      const labelHeader = await readHeader(labels, 'labels', [1]);
      if (labelHeader.dims[0] !== count) {
        throw idxError('labels', `holds ${labelHeader.dims[0]} labels for ${count} images`);
      }
    }
    checkRecordCount(count, options);

    const size = schema.width * schema.height * schema.channels;
    const unlabeled = label === undefined;
    for (let row = 1; row <= count; row++) {
      const pixels = await images.read(size);
      if (pixels.length < size) throw idxError('images', `truncated at record ${row} of ${count}`);
      const features = new Float32Array(size);
      for (let i = 0; i < size; i++) features[i] = pixels[i] / 255;
      if (unlabeled || !labels) {
        yield { features };
        continue;
      }
      const byte = await labels.read(1);
      if (byte.length < 1) throw idxError('labels', `truncated at record ${row} of ${count}`);
      yield { features, label: checkJsonLabel(byte[0], label, row) };
    }
    if (!(await images.atEnd())) throw idxError('images', 'has bytes after the last record');
    if (labels && !(await labels.atEnd())) throw idxError('labels', 'has bytes after the last record');
  } finally {
    await images.close();
    await labels?.close();
  }
}
