import { DomainError } from '@conclave/common';

/** The label of a record: one class out of `numClasses`, or, for multi-label data, any subset of them. */
export interface LabelSpec {
  name: string;
  numClasses: number;
  multiLabel?: boolean;
}

export interface TabularFeature {
  name: string;
  type: 'number';
}

export interface TabularSchema {
  kind: 'tabular';
  features: TabularFeature[];
  label?: LabelSpec;
}

export interface ImageSchema {
  kind: 'image';
  width: number;
  height: number;
  /** 1 = grayscale, 3 = RGB. Pixel values are normalised to [0, 1]. */
  channels: 1 | 3;
  label?: LabelSpec;
}

/** The declared shape of a partition's (or an unlabeled dataset's) records. */
export type RecordSchema = TabularSchema | ImageSchema;

/** One validated record. Features are laid out as the model input: tabular in declared order, images HWC. */
export interface DataRecord {
  features: Float32Array;
  /** A class index, or the sorted positive classes of a multi-label record; absent for unlabeled data. */
  label?: number | number[];
}

/** Upper bounds that keep a declared schema from asking for absurd allocations. */
const MAX_FEATURES = 1 << 20;
const MAX_IMAGE_SIDE = 4096;
const MAX_CLASSES = 10_000;
const MAX_NAME_LENGTH = 200;

/** The per-record input shape of a model for this schema: `[features]` or `[height, width, channels]`. */
export function featureShape(schema: RecordSchema): number[] {
  return schema.kind === 'tabular' ? [schema.features.length] : [schema.height, schema.width, schema.channels];
}

/** How many float features one record has. */
export function featureCount(schema: RecordSchema): number {
  return featureShape(schema).reduce((a, b) => a * b, 1);
}

function invalid(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `record schema: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkName(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw invalid(`${where} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  return value;
}

function checkInteger(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${where} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

function parseLabel(value: unknown): LabelSpec | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalid('label must be an object');
  const multiLabel = value.multiLabel;
  if (multiLabel !== undefined && typeof multiLabel !== 'boolean') throw invalid('label.multiLabel must be a boolean');
  const label: LabelSpec = {
    name: checkName(value.name, 'label.name'),
    numClasses: checkInteger(value.numClasses, 'label.numClasses', multiLabel ? 1 : 2, MAX_CLASSES),
  };
  if (multiLabel) label.multiLabel = true;
  return label;
}

/**
 * Validates an untrusted schema (e.g. a partition's jsonb column or a request body) and returns a clean copy.
 * Throws DomainError('VALIDATION_FAILED') naming the offending field.
 */
export function parseRecordSchema(value: unknown): RecordSchema {
  if (!isPlainObject(value)) throw invalid('must be an object');
  const label = parseLabel(value.label);
  if (value.kind === 'tabular') {
    if (!Array.isArray(value.features) || value.features.length === 0 || value.features.length > MAX_FEATURES) {
      throw invalid(`features must be a non-empty array of at most ${MAX_FEATURES} entries`);
    }
    const seen = new Set<string>();
    const features = value.features.map((f: unknown, i): TabularFeature => {
      if (!isPlainObject(f)) throw invalid(`features[${i}] must be an object`);
      const name = checkName(f.name, `features[${i}].name`);
      if (f.type !== 'number') throw invalid(`features[${i}].type must be 'number'`);
      if (seen.has(name) || name === label?.name) throw invalid(`features[${i}].name is used twice`);
      seen.add(name);
      return { name, type: 'number' };
    });
    return label ? { kind: 'tabular', features, label } : { kind: 'tabular', features };
  }
  if (value.kind === 'image') {
    const width = checkInteger(value.width, 'width', 1, MAX_IMAGE_SIDE);
    const height = checkInteger(value.height, 'height', 1, MAX_IMAGE_SIDE);
    if (value.channels !== 1 && value.channels !== 3) throw invalid('channels must be 1 or 3');
    const schema: ImageSchema = { kind: 'image', width, height, channels: value.channels };
    if (width * height * schema.channels > MAX_FEATURES)
      throw invalid(`an image may have at most ${MAX_FEATURES} values`);
    if (label) schema.label = label;
    return schema;
  }
  throw invalid("kind must be 'tabular' or 'image'");
}

/** The same schema without its label, for unlabeled data (queries, the student's pool). */
export function withoutLabel(schema: RecordSchema): RecordSchema {
  const { label: _label, ...rest } = schema;
  return rest as RecordSchema;
}
