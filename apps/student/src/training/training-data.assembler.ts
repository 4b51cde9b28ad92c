import { DomainError } from '@conclave/common';
import {
  featureCount,
  featureShape,
  type RecordSchema,
  type SingleLabelDataset,
  type StudentTrainingData,
} from '@conclave/ml';

/** A stored record as the repositories yield it: features, and a label or none. */
export interface LabeledOrNot {
  features: Float32Array;
  label: number | null;
}

/** Grows a Float32Array as records stream in (doubling), so the pool is read once without knowing its size. */
class FloatBuffer {
  private data: Float32Array;
  length = 0;

  constructor(initial: number) {
    this.data = new Float32Array(Math.max(initial, 1));
  }

  push(values: Float32Array): void {
    if (this.length + values.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + values.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  toArray(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

function checkRecord(record: LabeledOrNot, size: number, ordinal: number): void {
  if (record.features.length !== size) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `stored record ${ordinal} has ${record.features.length} features, the schema ${size}`,
    );
  }
}

/**
 * The student's data from a job's pool, in record order: the records with a released label are labeled (refused
 * queries carry none — they are never guessed), every other record of the pool is unlabeled.
 */
export async function assembleTrainingData(
  records: AsyncIterable<LabeledOrNot>,
  schema: RecordSchema,
  numClasses: number,
): Promise<StudentTrainingData> {
  const size = featureCount(schema);
  const labeled = new FloatBuffer(1024 * size);
  const labels: number[] = [];
  const unlabeled = new FloatBuffer(1024 * size);
  let ordinal = 0;
  for await (const record of records) {
    checkRecord(record, size, ordinal);
    if (record.label === null) {
      unlabeled.push(record.features);
    } else {
      if (!Number.isInteger(record.label) || record.label < 0 || record.label >= numClasses) {
        throw new DomainError('VALIDATION_FAILED', `released label of record ${ordinal} is not a class index`);
      }
      labeled.push(record.features);
      labels.push(record.label);
    }
    ordinal += 1;
  }
  return {
    schema: { ...schema, label: { name: schema.label?.name ?? 'label', numClasses } },
    numClasses,
    labeled: { features: labeled.toArray(), labels: Int32Array.from(labels) },
    unlabeled: unlabeled.toArray(),
  };
}

/** An evaluation dataset's records (each with the querying party's label) as a labeled dataset for `evaluate`. */
export async function assembleEvaluationData(
  records: AsyncIterable<LabeledOrNot>,
  schema: RecordSchema,
  numClasses: number,
): Promise<SingleLabelDataset> {
  const size = featureCount(schema);
  const features = new FloatBuffer(1024 * size);
  const labels: number[] = [];
  let ordinal = 0;
  for await (const record of records) {
    checkRecord(record, size, ordinal);
    if (record.label === null || !Number.isInteger(record.label) || record.label < 0 || record.label >= numClasses) {
      throw new DomainError('VALIDATION_FAILED', `evaluation record ${ordinal} has no valid label`);
    }
    features.push(record.features);
    labels.push(record.label);
    ordinal += 1;
  }
  return {
    features: features.toArray(),
    featureShape: featureShape(schema),
    count: labels.length,
    multiLabel: false,
    numClasses,
    labels: Int32Array.from(labels),
  };
}
