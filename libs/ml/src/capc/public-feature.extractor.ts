import { createHash } from 'node:crypto';
import { DomainError } from '@conclave/common';
import type { RecordSchema } from '../schema/record.schema.js';

/**
 * The public feature extractors of confidential mode (CaPC, Choquette-Choo et al., ICLR 2021): the querying party
 * runs one on its query before encrypting the features, and every teacher head of the dataset was trained on the
 * same extractor's output of its partition. An extractor is public, data-independent and deterministic — fixed
 * arithmetic, no learned or data-derived parameters — so both sides compute bit-identical features; its `id`
 * (recorded with each head) names it, version included.
 *
 * Sizes fit the HE heads of libs/crypto: a BFV linear head needs (classes + 1) * dimension <= N + 1 (BFV_8192:
 * dimension <= 744 for 10 classes); a CKKS head packs every layer into a power-of-two width <= 256.
 */
export interface PublicFeatureExtractor {
  /** Names the transformation and its version, e.g. 'mnist-area8-v1'. */
  readonly id: string;
  /** Length of a record's raw feature vector (the schema's layout: tabular in order, images HWC). */
  readonly inputSize: number;
  /** Length of an extracted feature vector. */
  readonly dimension: number;
  /** Fixed point for BFV: a quantized feature is round(feature * featureScale), clamped to ±maxAbsFeature. */
  readonly featureScale: number;
  /** Bound on every quantized feature (what BfvLinearClient clamps to and BfvLinearTeacher checks logits with). */
  readonly maxAbsFeature: number;
  /** Extracted features of each record (already clamped to ±maxAbsFeature / featureScale). */
  extract(records: ReadonlyArray<ArrayLike<number>>): Float32Array[];
  /** The same on a row-major matrix of `count` records; returns count x dimension, row-major. */
  extractMatrix(features: ArrayLike<number>, count: number): Float32Array;
  /** Integer features for the BFV client: round(feature * featureScale), clamped to ±maxAbsFeature. */
  quantize(features: ReadonlyArray<ArrayLike<number>>): Int32Array[];
}

/** Which extractor: MNIST's, a generic image one, or the tabular pass-through (optionally standardising). */
export type PublicExtractorSpec =
  | 'mnist'
  | { kind: 'image'; height: number; width: number; channels: number }
  | {
      kind: 'tabular';
      features: number;
      /** Public standardisation (agreed by the consortium, never fitted on private data): (x - center) / scale. */
      center?: readonly number[];
      scale?: readonly number[];
    };

/** Output grid of the image extractors (8 x 8 cells per channel). */
const IMAGE_GRID = 8;
/** MNIST's digits sit in the central 20 x 20 box of the 28 x 28 image (LeCun et al.): a 4-pixel border is cut. */
const MNIST_CROP = 4;
/** Image features are pixel averages in [0, 1]: 8-bit fixed point. */
const IMAGE_FEATURE_SCALE = 255;
/** Tabular features are clamped to ±8 (after the optional standardisation) and quantized at 1/128. */
const TABULAR_CLIP = 8;
const TABULAR_FEATURE_SCALE = 128;

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `feature extractor: ${message}`);
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * A linear map from raw features to extracted ones, stored sparsely per output (each output reads few inputs),
 * followed by a clamp to [low, high].
 */
class SparseExtractor implements PublicFeatureExtractor {
  readonly maxAbsFeature: number;
  private readonly low: number;
  private readonly high: number;

  constructor(
    readonly id: string,
    readonly inputSize: number,
    /** Per output: input indexes, weights and an offset. */
    private readonly taps: ReadonlyArray<{ index: Int32Array; weight: Float64Array; offset: number }>,
    readonly featureScale: number,
    range: { low: number; high: number },
  ) {
    this.low = range.low;
    this.high = range.high;
    this.maxAbsFeature = Math.round(Math.max(Math.abs(range.low), Math.abs(range.high)) * featureScale);
  }

  get dimension(): number {
    return this.taps.length;
  }

  private extractInto(source: ArrayLike<number>, start: number, out: Float32Array, outStart: number): void {
    for (let o = 0; o < this.taps.length; o++) {
      const { index, weight, offset } = this.taps[o];
      let acc = offset;
      for (let t = 0; t < index.length; t++) acc += weight[t] * source[start + index[t]];
      if (!Number.isFinite(acc)) throw invalid('non-finite feature value');
      out[outStart + o] = Math.min(this.high, Math.max(this.low, acc));
    }
  }

  extract(records: ReadonlyArray<ArrayLike<number>>): Float32Array[] {
    return records.map((record, i) => {
      if (record.length !== this.inputSize) {
        throw invalid(`record ${i + 1} has ${record.length} features, ${this.id} expects ${this.inputSize}`);
      }
      const out = new Float32Array(this.dimension);
      this.extractInto(record, 0, out, 0);
      return out;
    });
  }

  extractMatrix(features: ArrayLike<number>, count: number): Float32Array {
    if (!Number.isSafeInteger(count) || count < 0 || features.length !== count * this.inputSize) {
      throw invalid(`expected ${count} x ${this.inputSize} features, found ${features.length}`);
    }
    const out = new Float32Array(count * this.dimension);
    for (let r = 0; r < count; r++) this.extractInto(features, r * this.inputSize, out, r * this.dimension);
    return out;
  }

  quantize(features: ReadonlyArray<ArrayLike<number>>): Int32Array[] {
    return features.map((row, i) => {
      if (row.length !== this.dimension) throw invalid(`feature vector ${i + 1} is not ${this.dimension} long`);
      return quantizeValues(row, this.featureScale, this.maxAbsFeature);
    });
  }
}

/** round(value * scale) clamped to ±maxAbs: the same rounding as libs/crypto's `quantize`. */
export function quantizeValues(values: ArrayLike<number>, scale: number, maxAbs: number): Int32Array {
  return Int32Array.from({ length: values.length }, (_, i) => {
    const v = values[i];
    if (!Number.isFinite(v)) throw invalid('non-finite feature value');
    return Math.max(-maxAbs, Math.min(maxAbs, Math.round(v * scale)));
  });
}

/**
 * Area averages over a grid of cells (exact box filter: a pixel straddling two cells is split by overlap area) of
 * the central [crop, side - crop) window, per channel; outputs channel-major (c, cellY, cellX).
 */
function imageAreaTaps(
  height: number,
  width: number,
  channels: number,
  crop: number,
  grid: number,
): Array<{ index: Int32Array; weight: Float64Array; offset: number }> {
  const cellH = (height - 2 * crop) / grid;
  const cellW = (width - 2 * crop) / grid;
  const taps: Array<{ index: Int32Array; weight: Float64Array; offset: number }> = [];
  for (let c = 0; c < channels; c++) {
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        const y0 = crop + gy * cellH;
        const x0 = crop + gx * cellW;
        const index: number[] = [];
        const weight: number[] = [];
        for (let y = Math.floor(y0); y < Math.ceil(y0 + cellH); y++) {
          const wy = Math.min(y + 1, y0 + cellH) - Math.max(y, y0);
          if (wy <= 0) continue;
          for (let x = Math.floor(x0); x < Math.ceil(x0 + cellW); x++) {
            const wx = Math.min(x + 1, x0 + cellW) - Math.max(x, x0);
            if (wx <= 0) continue;
            index.push((y * width + x) * channels + c);
            weight.push((wy * wx) / (cellH * cellW));
          }
        }
        taps.push({ index: Int32Array.from(index), weight: Float64Array.from(weight), offset: 0 });
      }
    }
  }
  return taps;
}

function imageExtractor(id: string, height: number, width: number, channels: number, crop: number): SparseExtractor {
  const taps = imageAreaTaps(height, width, channels, crop, IMAGE_GRID);
  return new SparseExtractor(id, height * width * channels, taps, IMAGE_FEATURE_SCALE, { low: 0, high: 1 });
}

/**
 * The public extractor of a kind of record:
 *
 * - `'mnist'` (id `mnist-area8-v1`, 64 features): the central 20 x 20 window of a 28 x 28 grey image averaged
 *   over 8 x 8 cells of 2.5 x 2.5 pixels. Measured (libs/ml README): a linear head on 6,000 images reaches ~90%
 *   on MNIST's 10,000 test images — as much as 14 x 14 pooling (196 features) — with a third of the features.
 * - `{ kind: 'image', height, width, channels }` (id `image-area8-v1/HxWxC`, 64 per channel): the whole image
 *   averaged over 8 x 8 cells per channel.
 * - `{ kind: 'tabular', features, center?, scale? }` (id `tabular-clip8-v1/N`, or `tabular-std-clip8-v1/N/<hash>`
 *   with a public standardisation): the features themselves, optionally standardised, clamped to ±8.
 *
 * Image features are in [0, 1] (quantized to 0..255); tabular ones in [-8, 8] (quantized at 1/128: ±1024).
 */
export function publicFeatureExtractor(spec: PublicExtractorSpec): PublicFeatureExtractor {
  if (spec === 'mnist') return imageExtractor('mnist-area8-v1', 28, 28, 1, MNIST_CROP);
  if (spec.kind === 'image') {
    const { height, width, channels } = spec;
    if (![height, width, channels].every(positiveInteger) || height * width * channels > 1 << 24) {
      throw invalid('image dimensions must be positive integers');
    }
    if (IMAGE_GRID * IMAGE_GRID * channels > 256) throw invalid('at most 4 channels');
    return imageExtractor(`image-area8-v1/${height}x${width}x${channels}`, height, width, channels, 0);
  }
  if (spec.kind === 'tabular') {
    const n = spec.features;
    if (!positiveInteger(n) || n > 744) throw invalid('tabular records need 1 to 744 features for a BFV head');
    const center = spec.center ?? new Array<number>(n).fill(0);
    const scale = spec.scale ?? new Array<number>(n).fill(1);
    if (center.length !== n || scale.length !== n) throw invalid('center and scale need one value per feature');
    if (!center.every(Number.isFinite) || !scale.every((s) => Number.isFinite(s) && s > 0)) {
      throw invalid('center must be finite and scale positive');
    }
    const standardised = spec.center !== undefined || spec.scale !== undefined;
    const id = standardised
      ? `tabular-std-clip8-v1/${n}/${createHash('sha256')
          .update(JSON.stringify({ center: Array.from(center), scale: Array.from(scale) }))
          .digest('hex')
          .slice(0, 16)}`
      : `tabular-clip8-v1/${n}`;
    const taps = Array.from({ length: n }, (_, j) => ({
      index: Int32Array.of(j),
      weight: Float64Array.of(1 / scale[j]),
      offset: -center[j] / scale[j],
    }));
    return new SparseExtractor(id, n, taps, TABULAR_FEATURE_SCALE, { low: -TABULAR_CLIP, high: TABULAR_CLIP });
  }
  throw invalid('unknown kind');
}

/**
 * The extractor both sides use for records of this schema: MNIST's for 28 x 28 grey images, the generic image
 * one for other images, the tabular pass-through for tabular data; undefined when no head fits (an image of
 * more than 4 channels, or more than 744 tabular features).
 */
export function publicFeatureExtractorForSchema(schema: RecordSchema): PublicFeatureExtractor | undefined {
  if (schema.kind === 'image') {
    if (schema.height === 28 && schema.width === 28 && schema.channels === 1) return publicFeatureExtractor('mnist');
    if (schema.channels > 4) return undefined;
    return publicFeatureExtractor({
      kind: 'image',
      height: schema.height,
      width: schema.width,
      channels: schema.channels,
    });
  }
  if (schema.features.length > 744) return undefined;
  return publicFeatureExtractor({ kind: 'tabular', features: schema.features.length });
}

/**
 * Rebuilds an extractor from its id (what the querying party reads off a head). Standardising tabular
 * extractors cannot be rebuilt from their id (it holds a hash of the parameters): build them from the
 * consortium's published parameters and compare ids.
 */
export function publicFeatureExtractorById(id: string): PublicFeatureExtractor {
  if (id === 'mnist-area8-v1') return publicFeatureExtractor('mnist');
  const image = /^image-area8-v1\/(\d{1,5})x(\d{1,5})x(\d)$/.exec(id);
  if (image) {
    return publicFeatureExtractor({
      kind: 'image',
      height: Number(image[1]),
      width: Number(image[2]),
      channels: Number(image[3]),
    });
  }
  const tabular = /^tabular-clip8-v1\/(\d{1,4})$/.exec(id);
  if (tabular) return publicFeatureExtractor({ kind: 'tabular', features: Number(tabular[1]) });
  throw invalid(`unknown extractor id '${id.slice(0, 80)}'`);
}
