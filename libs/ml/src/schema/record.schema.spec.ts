import { describe, expect, it } from '@jest/globals';
import { featureCount, featureShape, parseRecordSchema, withoutLabel } from './record.schema.js';

describe('parseRecordSchema', () => {
  it('accepts a tabular schema and returns a clean copy', () => {
    const schema = parseRecordSchema({
      kind: 'tabular',
      features: [
        { name: 'age', type: 'number', extra: 1 },
        { name: 'bmi', type: 'number' },
      ],
      label: { name: 'outcome', numClasses: 2 },
    });
    expect(schema).toEqual({
      kind: 'tabular',
      features: [
        { name: 'age', type: 'number' },
        { name: 'bmi', type: 'number' },
      ],
      label: { name: 'outcome', numClasses: 2 },
    });
    expect(featureShape(schema)).toEqual([2]);
    expect(withoutLabel(schema)).toEqual({
      kind: 'tabular',
      features: schema.kind === 'tabular' ? schema.features : [],
    });
  });

  it('accepts an image schema with a multi-label label', () => {
    const schema = parseRecordSchema({
      kind: 'image',
      width: 28,
      height: 28,
      channels: 1,
      label: { name: 'tags', numClasses: 5, multiLabel: true },
    });
    expect(featureShape(schema)).toEqual([28, 28, 1]);
    expect(featureCount(schema)).toBe(784);
    expect(schema.label).toEqual({ name: 'tags', numClasses: 5, multiLabel: true });
  });

  it.each([
    ['not an object', 42],
    ['an unknown kind', { kind: 'audio' }],
    ['no features', { kind: 'tabular', features: [] }],
    ['a non-number feature', { kind: 'tabular', features: [{ name: 'a', type: 'string' }] }],
    [
      'a feature named twice',
      {
        kind: 'tabular',
        features: [
          { name: 'a', type: 'number' },
          { name: 'a', type: 'number' },
        ],
      },
    ],
    [
      'a feature named like the label',
      { kind: 'tabular', features: [{ name: 'y', type: 'number' }], label: { name: 'y', numClasses: 2 } },
    ],
    ['one class', { kind: 'tabular', features: [{ name: 'a', type: 'number' }], label: { name: 'y', numClasses: 1 } }],
    [
      'fractional classes',
      { kind: 'tabular', features: [{ name: 'a', type: 'number' }], label: { name: 'y', numClasses: 2.5 } },
    ],
    ['two channels', { kind: 'image', width: 2, height: 2, channels: 2 }],
    ['a zero width', { kind: 'image', width: 0, height: 2, channels: 1 }],
    ['a huge image', { kind: 'image', width: 4096, height: 4096, channels: 3 }],
  ])('rejects %s with VALIDATION_FAILED', (_name, value) => {
    expect(() => parseRecordSchema(value)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
