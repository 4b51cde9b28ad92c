import { DomainError } from '@conclave/common';
import { featureShape, type DataRecord, type RecordSchema } from '../schema/record.schema.js';

/** Features of `count` records, row-major: record i is `features.subarray(i * size, (i + 1) * size)`. */
export interface FeatureMatrix {
  features: Float32Array;
  /** Per-record shape, e.g. [13] (tabular) or [28, 28, 1] (image, HWC). */
  featureShape: number[];
  count: number;
}

export interface SingleLabelDataset extends FeatureMatrix {
  multiLabel: false;
  numClasses: number;
  /** One class index per record. */
  labels: Int32Array;
}

export interface MultiLabelDataset extends FeatureMatrix {
  multiLabel: true;
  numClasses: number;
  /** count x numClasses, 1 where the class is positive. */
  labels: Uint8Array;
}

export type LabeledDataset = SingleLabelDataset | MultiLabelDataset;

export function recordSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Stacks unlabeled feature vectors (e.g. the queries of a vote request) into one matrix. */
export function buildFeatureMatrix(records: readonly Float32Array[], shape: readonly number[]): FeatureMatrix {
  const size = recordSize(shape);
  const features = new Float32Array(records.length * size);
  records.forEach((r, i) => {
    if (r.length !== size) {
      throw new DomainError('VALIDATION_FAILED', `row ${i + 1}: expected ${size} features, found ${r.length}`, {
        row: i + 1,
      });
    }
    features.set(r, i * size);
  });
  return { features, featureShape: [...shape], count: records.length };
}

/** Assembles labeled records (as the readers yield them, or as stored) into a training set for the schema. */
export function buildDataset(records: readonly DataRecord[], schema: RecordSchema): LabeledDataset {
  const label = schema.label;
  if (!label) throw new DomainError('VALIDATION_FAILED', 'the schema declares no label: the data cannot train a model');
  const matrix = buildFeatureMatrix(
    records.map((r) => r.features),
    featureShape(schema),
  );
  if (label.multiLabel) {
    const labels = new Uint8Array(records.length * label.numClasses);
    records.forEach((r, i) => {
      const classes = Array.isArray(r.label) ? r.label : undefined;
      if (!classes)
        throw new DomainError('VALIDATION_FAILED', `row ${i + 1}: missing multi-label label`, { row: i + 1 });
      for (const c of classes) {
        if (!Number.isInteger(c) || c < 0 || c >= label.numClasses) {
          throw new DomainError('VALIDATION_FAILED', `row ${i + 1}: label out of range`, { row: i + 1 });
        }
        labels[i * label.numClasses + c] = 1;
      }
    });
    return { ...matrix, multiLabel: true, numClasses: label.numClasses, labels };
  }
  const labels = new Int32Array(records.length);
  records.forEach((r, i) => {
    const c = r.label;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= label.numClasses) {
      throw new DomainError('VALIDATION_FAILED', `row ${i + 1}: label missing or out of range`, { row: i + 1 });
    }
    labels[i] = c;
  });
  return { ...matrix, multiLabel: false, numClasses: label.numClasses, labels };
}

/** Records [start, start + count) of a dataset, without copying (e.g. one PATE partition of MNIST). */
export function sliceDataset<T extends LabeledDataset>(data: T, start: number, count: number): T {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > data.count) {
    throw new DomainError('VALIDATION_FAILED', `records [${start}, ${start + count}) are outside the data set`);
  }
  const size = recordSize(data.featureShape);
  const perLabel = data.multiLabel ? data.numClasses : 1;
  return {
    ...data,
    count,
    features: data.features.subarray(start * size, (start + count) * size),
    labels: data.labels.subarray(start * perLabel, (start + count) * perLabel),
  };
}
