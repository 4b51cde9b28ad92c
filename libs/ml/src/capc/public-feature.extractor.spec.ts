import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@conclave/common';
import { loadMnist, MNIST_SCHEMA } from '../readers/mnist.loader.js';
import {
  publicFeatureExtractor,
  publicFeatureExtractorById,
  publicFeatureExtractorForSchema,
} from './public-feature.extractor.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('publicFeatureExtractor', () => {
  it("MNIST's: 8 x 8 area averages of the central 20 x 20 window, bit-identical across calls and instances", async () => {
    const extractor = publicFeatureExtractor('mnist');
    expect(extractor).toMatchObject({ id: 'mnist-area8-v1', inputSize: 784, dimension: 64 });
    expect(extractor).toMatchObject({ featureScale: 255, maxAbsFeature: 255 });
    const data = await loadMnist({ split: 'train', offset: 0, count: 100 });
    const matrix = extractor.extractMatrix(data.features, data.count);
    const again = publicFeatureExtractor('mnist').extractMatrix(data.features, data.count);
    expect(Buffer.from(again.buffer)).toEqual(Buffer.from(matrix.buffer));
    const rows = extractor.extract(
      Array.from({ length: data.count }, (_, i) => Array.from(data.features.subarray(i * 784, (i + 1) * 784))),
    );
    rows.forEach((row, i) => expect(row).toEqual(matrix.subarray(i * 64, (i + 1) * 64)));
    // Frozen: a change of the arithmetic must come with a new id (heads record the id they were trained on).
    expect(createHash('sha256').update(Buffer.from(matrix.buffer)).digest('hex')).toBe(
      '89029f4f8695967425b10285e90d283215addcdd5cb3633364e43ebff70dc9c8',
    );
    // The first training image (a 5), quantized for the BFV client.
    expect(Array.from(extractor.quantize([rows[0]])[0].subarray(0, 16))).toEqual([
      0, 2, 17, 43, 66, 108, 95, 111, 0, 86, 219, 242, 232, 182, 74, 41,
    ]);
  });

  it('averages by exact overlap area: a constant image maps to that constant, one pixel splits between cells', () => {
    const extractor = publicFeatureExtractor('mnist');
    const ones = extractor.extract([new Float32Array(784).fill(1)])[0];
    ones.forEach((v) => expect(v).toBeCloseTo(1, 6));
    // Pixel (y, x) = (6, 6) lies in [6, 7) x [6, 7): rows and columns 4 + 2.5 = 6.5 split it between cells 0 and 1.
    const dot = new Float32Array(784);
    dot[6 * 28 + 6] = 1;
    const features = extractor.extract([dot])[0];
    const quarter = 0.25 / 6.25;
    expect(features[0]).toBeCloseTo(quarter, 6);
    expect(features[1]).toBeCloseTo(quarter, 6);
    expect(features[8]).toBeCloseTo(quarter, 6);
    expect(features[9]).toBeCloseTo(quarter, 6);
    expect(features.reduce((a, b) => a + b, 0)).toBeCloseTo(4 * quarter, 6);
    // The 4-pixel border is not read.
    const border = new Float32Array(784);
    for (let i = 0; i < 28; i++) border[i] = border[27 * 28 + i] = border[i * 28] = border[i * 28 + 27] = 1;
    expect(extractor.extract([border])[0].every((v) => v === 0)).toBe(true);
  });

  it('quantizes to 0..maxAbsFeature with the rounding of libs/crypto (round half up, clamped)', () => {
    const extractor = publicFeatureExtractor('mnist');
    const features = new Float32Array(64);
    features[0] = 1;
    features[1] = 0.5 / 255;
    features[2] = 2; // never produced by extract; clamped
    features[3] = -1;
    const [q] = extractor.quantize([features]);
    expect(Array.from(q.subarray(0, 5))).toEqual([255, 1, 255, -255, 0]);
  });

  it('generic images: 8 x 8 cells per channel over the whole image', () => {
    const extractor = publicFeatureExtractor({ kind: 'image', height: 32, width: 32, channels: 3 });
    expect(extractor).toMatchObject({ id: 'image-area8-v1/32x32x3', inputSize: 3072, dimension: 192 });
    const image = new Float32Array(3072);
    for (let p = 0; p < 1024; p++) image[p * 3 + 1] = 1; // green everywhere
    const features = extractor.extract([image])[0];
    expect(features.subarray(0, 64).every((v) => v === 0)).toBe(true);
    expect(features.subarray(64, 128).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(publicFeatureExtractorById(extractor.id).id).toBe(extractor.id);
  });

  it('tabular: pass-through clamped to ±8, or a public standardisation named by a hash of its parameters', () => {
    const plain = publicFeatureExtractor({ kind: 'tabular', features: 3 });
    expect(plain).toMatchObject({ id: 'tabular-clip8-v1/3', dimension: 3, featureScale: 128, maxAbsFeature: 1024 });
    expect(Array.from(plain.extract([[1.5, -20, 100]])[0])).toEqual([1.5, -8, 8]);
    expect(Array.from(plain.quantize(plain.extract([[0.01, -20, 0.5]]))[0])).toEqual([1, -1024, 64]);
    const standardised = publicFeatureExtractor({
      kind: 'tabular',
      features: 3,
      center: [50, 0, 0],
      scale: [10, 1, 2],
    });
    expect(standardised.id).toMatch(/^tabular-std-clip8-v1\/3\/[0-9a-f]{16}$/);
    expect(Array.from(standardised.extract([[70, 1, 3]])[0])).toEqual([2, 1, 1.5]);
    expect(publicFeatureExtractorById('tabular-clip8-v1/3').id).toBe(plain.id);
    expect(codeOf(() => publicFeatureExtractorById(standardised.id))).toBe('VALIDATION_FAILED');
  });

  it('picks the extractor of a schema, and refuses records of the wrong size', () => {
    expect(publicFeatureExtractorForSchema(MNIST_SCHEMA)?.id).toBe('mnist-area8-v1');
    expect(
      publicFeatureExtractorForSchema({
        kind: 'tabular',
        features: [
          { name: 'a', type: 'number' },
          { name: 'b', type: 'number' },
        ],
      })?.id,
    ).toBe('tabular-clip8-v1/2');
    const mnist = publicFeatureExtractor('mnist');
    expect(codeOf(() => mnist.extract([new Float32Array(783)]))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => mnist.extractMatrix(new Float32Array(785), 1))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => mnist.quantize([new Float32Array(63)]))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => mnist.extract([new Float32Array(784).fill(Number.NaN)]))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => publicFeatureExtractor({ kind: 'tabular', features: 745 }))).toBe('VALIDATION_FAILED');
  });
});
