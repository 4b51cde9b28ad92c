import { describe, expect, it } from '@jest/globals';
import type { RecordSchema } from '../schema/record.schema.js';
import { readJsonlRecords } from './jsonl.reader.js';
import { chunkedStream, collect, failure } from './reader-testing.testing.js';

const schema: RecordSchema = {
  kind: 'tabular',
  features: [
    { name: 'x', type: 'number' },
    { name: 'y', type: 'number' },
  ],
  label: { name: 'tags', numClasses: 4, multiLabel: true },
};
const MB = 1 << 20;

function read(text: string, options: Partial<Parameters<typeof readJsonlRecords>[1]> = {}) {
  return collect(readJsonlRecords(chunkedStream(text, 5), { schema, maxBytes: MB, ...options }));
}

describe('readJsonlRecords', () => {
  it('reads one object per line (any key order, blank lines, CRLF, no final newline)', async () => {
    const records = await read(
      '{"tags":[3,1],"y":2,"x":1}\r\n\n{"x":-0.5,"y":1e-3,"tags":[]}\n{"x":0,"y":0,"tags":[0]}',
    );
    expect(records).toEqual([
      { features: Float32Array.from([1, 2]), label: [1, 3] },
      { features: Float32Array.from([-0.5, 1e-3]), label: [] },
      { features: Float32Array.from([0, 0]), label: [0] },
    ]);
  });

  it('reads single-label data and unlabeled data', async () => {
    const single: RecordSchema = { ...schema, label: { name: 'tags', numClasses: 4 } };
    expect(await read('{"x":1,"y":2,"tags":3}\n', { schema: single })).toEqual([
      { features: Float32Array.from([1, 2]), label: 3 },
    ]);
    expect(await read('{"x":1,"y":2}\n', { withLabels: false })).toEqual([{ features: Float32Array.from([1, 2]) }]);
  });

  it.each([
    ['a string number', '{"x":"1","y":2,"tags":[]}', "row 2, field 'x': not a number"],
    ['a null', '{"x":1,"y":null,"tags":[]}', "row 2, field 'y': missing value"],
    ['a missing feature', '{"x":1,"tags":[]}', "row 2, field 'y': missing value"],
    ['an overflow to Infinity', '{"x":1e999,"y":2,"tags":[]}', "row 2, field 'x': not a finite number"],
    ['a label out of range', '{"x":1,"y":2,"tags":[4]}', "row 2, field 'tags': not a class index in [0, 3]"],
    ['a repeated label', '{"x":1,"y":2,"tags":[1,1]}', "row 2, field 'tags': repeats a class"],
    ['a non-array multi-label', '{"x":1,"y":2,"tags":1}', "row 2, field 'tags': not an array of class indexes"],
    ['a missing label', '{"x":1,"y":2}', "row 2, field 'tags': missing label"],
    ['an unknown field', '{"x":1,"y":2,"tags":[],"secret":5}', 'row 2: 1 field(s) not in the schema'],
    ['invalid JSON', '{"x":1,"y":2,"tags":[] secret', 'row 2: not valid JSON'],
    ['an array', '[1,2]', 'row 2: not a JSON object'],
  ])('rejects %s naming the row and field, never the value', async (_name, line, message) => {
    const error = await failure(read(`{"x":0,"y":0,"tags":[]}\n${line}\n`));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('secret');
  });

  it('rejects invalid UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"x":1,"y":2,"tags":[]}\n{"x":'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('}\n'),
    ]);
    const error = await failure(collect(readJsonlRecords(chunkedStream(bytes), { schema, maxBytes: MB })));
    expect(error.message).toBe('row 2: not valid UTF-8');
  });

  it('fails with PAYLOAD_TOO_LARGE beyond the byte limit', async () => {
    const text = '{"x":1,"y":2,"tags":[]}\n'.repeat(50);
    expect((await failure(read(text, { maxBytes: 1000 }))).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await read(text, { maxBytes: text.length })).toHaveLength(50);
  });

  it('stops reading the source at the first error', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled += 1;
        yield Buffer.from(i === 2 ? '{"x":"bad","y":0,"tags":[]}\n' : '{"x":0,"y":0,"tags":[]}\n');
      }
    }
    await failure(collect(readJsonlRecords(source(), { schema, maxBytes: MB })));
    expect(pulled).toBeLessThan(5);
  });
});
