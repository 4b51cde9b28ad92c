import { describe, expect, it } from '@jest/globals';
import type { RecordSchema } from '@conclave/ml';
import { assembleEvaluationData, assembleTrainingData, type LabeledOrNot } from './training-data.assembler.js';

const schema: RecordSchema = {
  kind: 'tabular',
  features: [
    { name: 'a', type: 'number' },
    { name: 'b', type: 'number' },
  ],
};

async function* stream(records: LabeledOrNot[]): AsyncGenerator<LabeledOrNot> {
  yield* records;
}

describe('student data assembly', () => {
  it('splits a pool into its released labels and the unlabeled rest, in record order', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({
      features: Float32Array.of(i, -i),
      label: i % 3 === 0 ? (i / 3) % 4 : null,
    }));
    const data = await assembleTrainingData(stream(records), schema, 4);
    expect(data.numClasses).toBe(4);
    expect(data.schema.label).toEqual({ name: 'label', numClasses: 4 });
    expect(data.labeled.labels.length).toBe(1000);
    expect(Array.from(data.labeled.features.subarray(0, 4))).toEqual([0, -0, 3, -3]);
    expect(Array.from(data.labeled.labels.subarray(0, 5))).toEqual([0, 1, 2, 3, 0]);
    expect(data.unlabeled.length).toBe(2000 * 2);
    expect(Array.from(data.unlabeled.subarray(0, 4))).toEqual([1, -1, 2, -2]);
  });

  it('refuses a record of the wrong size or a label outside the classes', async () => {
    await expect(
      assembleTrainingData(stream([{ features: Float32Array.of(1), label: null }]), schema, 2),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      assembleTrainingData(stream([{ features: Float32Array.of(1, 2), label: 5 }]), schema, 2),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('builds an evaluation set that needs a label on every record', async () => {
    const data = await assembleEvaluationData(
      stream([
        { features: Float32Array.of(1, 2), label: 1 },
        { features: Float32Array.of(3, 4), label: 0 },
      ]),
      schema,
      2,
    );
    expect(data).toMatchObject({ count: 2, featureShape: [2], numClasses: 2, multiLabel: false });
    expect(Array.from(data.labels)).toEqual([1, 0]);
    await expect(
      assembleEvaluationData(stream([{ features: Float32Array.of(1, 2), label: null }]), schema, 2),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
