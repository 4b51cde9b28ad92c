import { beforeAll, describe, expect, it } from '@jest/globals';
import { initTensorflow } from '../backend/tensorflow.backend.js';
import {
  DEFAULT_STRONG_AUGMENTATION,
  elasticField,
  morphologyInPlace,
  SeededUniforms,
  ShuffledStream,
  strongViewInto,
  type StrongAugmentation,
} from './student.augmentation.js';

const SHAPE = [8, 8, 1];
const NONE: StrongAugmentation = {
  maxRotation: 0,
  maxScale: 0,
  maxShear: 0,
  maxTranslation: 0,
  cutout: [0, 0],
  contrast: 0,
};

function ramp(): Float32Array {
  return Float32Array.from({ length: 64 }, (_, i) => (i % 8 > 0 && i % 8 < 7 && i > 8 && i < 56 ? (i % 7) / 7 : 0));
}

beforeAll(async () => {
  await initTensorflow({ prefer: 'wasm' });
});

describe('SeededUniforms', () => {
  it('is reproducible from its seed, in [0, 1), and differs across seeds', () => {
    const draw = (seed: number) => {
      const random = new SeededUniforms(seed, 100);
      return Array.from({ length: 250 }, () => random.next());
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    expect(a.every((u) => u >= 0 && u < 1)).toBe(true);
  });

  it('gives permutations, and a shuffled stream visits every record once per pass', () => {
    const random = new SeededUniforms(3);
    expect([...random.permutation(50)].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const stream = new ShuffledStream(10, random);
    for (let pass = 0; pass < 3; pass++) {
      const seen = Array.from({ length: 10 }, () => stream.next()).sort((x, y) => x - y);
      expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
  });
});

describe('strongViewInto', () => {
  it('is the identity without distortions', () => {
    const source = ramp();
    const out = new Float32Array(64);
    strongViewInto(source, 0, SHAPE, NONE, new SeededUniforms(1), out, 0);
    for (let i = 0; i < 64; i++) expect(out[i]).toBeCloseTo(source[i], 5);
  });

  it('cuts out a square of zeros, and scales contrast by a factor in [1 - contrast, 1]', () => {
    const source = new Float32Array(64).fill(1);
    const out = new Float32Array(64);
    strongViewInto(source, 0, SHAPE, { ...NONE, cutout: [0.5, 0.5] }, new SeededUniforms(2), out, 0);
    const zeros = out.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThanOrEqual(16);
    expect(out.filter((v) => v === 1).length).toBe(64 - zeros);
    strongViewInto(source, 0, SHAPE, { ...NONE, contrast: 0.4 }, new SeededUniforms(2), out, 0);
    expect(new Set(out).size).toBe(1);
    expect(out[0]).toBeGreaterThanOrEqual(0.6);
    expect(out[0]).toBeLessThanOrEqual(1);
  });

  it('moves the image with the default distortions, reproducibly, keeping values in [0, 1]', () => {
    const source = ramp();
    const view = (seed: number) => {
      const out = new Float32Array(64 + 5).fill(9);
      strongViewInto(source, 0, SHAPE, DEFAULT_STRONG_AUGMENTATION, new SeededUniforms(seed), out, 5);
      return out;
    };
    const a = view(4);
    expect(view(4)).toEqual(a);
    expect(Array.from(a.subarray(0, 5))).toEqual([9, 9, 9, 9, 9]);
    const image = a.subarray(5);
    expect(image.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(image)).not.toEqual(Array.from(source));
  });
});

describe('elasticField', () => {
  it('is zero without elasticity, else smooth, reproducible and at most `elastic` pixels', () => {
    // On the control points (grid 4 on 28 pixels: every 9 pixels) the field takes their values.
    expect(elasticField(8, 8, { elastic: 0 }, new SeededUniforms(1)).every((v) => v === 0)).toBe(true);
    const field = (seed: number) => elasticField(28, 28, { elastic: 2, elasticGrid: 4 }, new SeededUniforms(seed));
    const a = field(5);
    expect(field(5)).toEqual(a);
    expect(field(6)).not.toEqual(a);
    const largest = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(largest).toBeLessThanOrEqual(2);
    expect(largest).toBeGreaterThan(0.5);
    // Smooth: neighbouring pixels move alike (raw uniform noise would differ by ~0.8 on average).
    let step = 0;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 27; x++) step += Math.abs(a[2 * (y * 28 + x + 1)] - a[2 * (y * 28 + x)]);
    expect(step / (28 * 27)).toBeLessThan(0.25);
  });

  it('distorts the strong view, keeping values in [0, 1]', () => {
    const source = ramp();
    const out = new Float32Array(64);
    strongViewInto(source, 0, SHAPE, { ...NONE, elastic: 1.5, elasticGrid: 3 }, new SeededUniforms(3), out, 0);
    expect(Array.from(out)).not.toEqual(Array.from(source));
    expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('morphologyInPlace', () => {
  it('dilates and erodes over the cross-shaped neighbourhood, at an offset', () => {
    const image = new Float32Array(2 + 25);
    image[0] = 7;
    image[2 + 12] = 1; // centre of a 5x5 image
    morphologyInPlace(image, 2, [5, 5, 1], 'dilate');
    expect(image[0]).toBe(7);
    const on = Array.from(image.subarray(2)).flatMap((v, i) => (v === 1 ? [i] : []));
    expect(on).toEqual([7, 11, 12, 13, 17]);
    morphologyInPlace(image, 2, [5, 5, 1], 'erode');
    expect(Array.from(image.subarray(2)).flatMap((v, i) => (v === 1 ? [i] : []))).toEqual([12]);
  });

  it('changes the strong view only when strokeWidth fires', () => {
    const source = ramp();
    const plain = new Float32Array(64);
    const thick = new Float32Array(64);
    strongViewInto(source, 0, SHAPE, NONE, new SeededUniforms(4), plain, 0);
    strongViewInto(source, 0, SHAPE, { ...NONE, strokeWidth: 1 }, new SeededUniforms(4), thick, 0);
    expect(Array.from(thick)).not.toEqual(Array.from(plain));
  });
});
