import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { mnistDataDirectory, type MnistSplit } from '@conclave/ml';

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};
const SIDE = 28;
const IMAGES_HEADER = 16;
const LABELS_HEADER = 8;

/** Records [offset, offset + count) of an MNIST split as two IDX files (labels idx1, images idx3), as MNIST ships them. */
export async function sliceMnistIdx(
  split: MnistSplit,
  offset: number,
  count: number,
): Promise<{ labels: Buffer; images: Buffer }> {
  const dir = mnistDataDirectory();
  const labelBytes = await readRange(join(dir, FILES[split].labels), LABELS_HEADER, 1, offset, count);
  const imageBytes = await readRange(join(dir, FILES[split].images), IMAGES_HEADER, SIDE * SIDE, offset, count);
  const labels = Buffer.alloc(LABELS_HEADER + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  labelBytes.copy(labels, LABELS_HEADER);
  const images = Buffer.alloc(IMAGES_HEADER + count * SIDE * SIDE);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(SIDE, 8);
  images.writeUInt32BE(SIDE, 12);
  imageBytes.copy(images, IMAGES_HEADER);
  return { labels, images };
}

/** `count` records of `recordBytes` each, after a header whose second word is the record total. */
async function readRange(
  path: string,
  headerBytes: number,
  recordBytes: number,
  offset: number,
  count: number,
): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(headerBytes);
    await file.read(header, 0, headerBytes, 0);
    const total = header.readUInt32BE(4);
    if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 1 || offset + count > total) {
      throw new Error(`MNIST has ${total} records: [${offset}, ${offset + count}) is out of range`);
    }
    const bytes = Buffer.alloc(count * recordBytes);
    const { bytesRead } = await file.read(bytes, 0, bytes.length, headerBytes + offset * recordBytes);
    if (bytesRead !== bytes.length) throw new Error(`${path} is truncated`);
    return bytes;
  } finally {
    await file.close();
  }
}
