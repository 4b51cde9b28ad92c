import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import type { ImageSchema } from '../schema/record.schema.js';
import { decodePng, readPngRecords } from './png.reader.js';
import { chunkedStream, collect, failure } from './reader-testing.testing.js';

/** A PNG of the given size whose RGBA pixel p is rgba(p). */
function makePng(
  width: number,
  height: number,
  rgba: (p: number) => [number, number, number, number],
  colorType: 0 | 2 | 4 | 6 = 6,
): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) png.data.set(rgba(p), 4 * p);
  return PNG.sync.write(png, { colorType });
}

const gray: ImageSchema = { kind: 'image', width: 3, height: 2, channels: 1, label: { name: 'digit', numClasses: 10 } };
const rgb: ImageSchema = { ...gray, channels: 3 };
const MB = 1 << 20;

describe('decodePng', () => {
  it('normalises a grayscale PNG to [0, 1] in row-major order', () => {
    const bytes = makePng(3, 2, (p) => [p * 51, p * 51, p * 51, 255], 0);
    expect(Array.from(decodePng(bytes, gray))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => Math.fround(v)));
  });

  it('converts RGB to luma for one channel and keeps the channels (HWC) for three', () => {
    const bytes = makePng(3, 2, () => [255, 0, 0, 255], 2);
    expect(decodePng(bytes, gray)[0]).toBeCloseTo(0.299, 6);
    expect(Array.from(decodePng(bytes, rgb).subarray(0, 6))).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('replicates grayscale into three channels and composites transparency over black', () => {
    const bytes = makePng(3, 2, (p) => [255, 255, 255, p === 0 ? 0 : 255], 4);
    const out = decodePng(bytes, rgb);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('rejects an image whose dimensions differ from the schema before decoding it', () => {
    const bytes = makePng(2, 3, () => [0, 0, 0, 255]);
    expect(() => decodePng(bytes, gray, 4)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        message: "row 4, field 'image': image is 2x3, the schema declares 3x2",
      }),
    );
  });

  it('rejects what is not a PNG, and corrupt PNG data', () => {
    expect(() => decodePng(Buffer.from('not a png at all, just some text here'), gray)).toThrow(
      expect.objectContaining({ message: "row 1, field 'image': not a PNG file" }),
    );
    const bytes = makePng(3, 2, () => [9, 9, 9, 255]);
    const corrupt = Buffer.concat([bytes.subarray(0, 40), Buffer.alloc(20, 0xab), bytes.subarray(60)]);
    expect(() => decodePng(corrupt, gray)).toThrow(
      expect.objectContaining({ message: "row 1, field 'image': corrupt PNG data" }),
    );
  });

  it('rejects tabular schemas', () => {
    expect(() =>
      decodePng(
        makePng(3, 2, () => [0, 0, 0, 255]),
        { kind: 'tabular', features: [{ name: 'a', type: 'number' }] },
      ),
    ).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('readPngRecords', () => {
  it('reads a batch of labeled PNGs from streams and buffers', async () => {
    const a = makePng(3, 2, () => [255, 255, 255, 255], 0);
    const b = makePng(3, 2, () => [0, 0, 0, 255], 0);
    const records = await collect(
      readPngRecords(
        [
          { data: chunkedStream(a, 10), label: 7 },
          { data: b, label: 0 },
        ],
        { schema: gray, maxBytes: MB },
      ),
    );
    expect(records.map((r) => r.label)).toEqual([7, 0]);
    expect(records[0].features.every((v) => v === 1)).toBe(true);
    expect(records[1].features.every((v) => v === 0)).toBe(true);
  });

  it('validates labels and names the record', async () => {
    const a = makePng(3, 2, () => [0, 0, 0, 255], 0);
    const error = await failure(
      collect(
        readPngRecords(
          [
            { data: a, label: 1 },
            { data: a, label: 10 },
          ],
          { schema: gray, maxBytes: MB },
        ),
      ),
    );
    expect(error.message).toBe("row 2, field 'digit': not a class index in [0, 9]");
  });

  it('applies the byte limit across the whole batch', async () => {
    const a = makePng(3, 2, () => [0, 0, 0, 255], 0);
    const entries = Array.from({ length: 5 }, () => ({ data: chunkedStream(a), label: 1 }));
    expect((await failure(collect(readPngRecords(entries, { schema: gray, maxBytes: a.length * 4 })))).code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });
});
