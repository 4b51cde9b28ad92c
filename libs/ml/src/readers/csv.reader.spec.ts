import { describe, expect, it } from '@jest/globals';
import type { RecordSchema } from '../schema/record.schema.js';
import { readCsvRecords } from './csv.reader.js';
import { chunkedStream, collect, failure } from './reader-testing.testing.js';

const schema: RecordSchema = {
  kind: 'tabular',
  features: [
    { name: 'age', type: 'number' },
    { name: 'bmi', type: 'number' },
  ],
  label: { name: 'outcome', numClasses: 3 },
};
const MB = 1 << 20;

function read(text: string, options: Partial<Parameters<typeof readCsvRecords>[1]> = {}) {
  return collect(readCsvRecords(chunkedStream(text), { schema, maxBytes: MB, ...options }));
}

describe('readCsvRecords', () => {
  it('reads a good file in any column order, with quotes, CRLF and a BOM, streamed in small chunks', async () => {
    const records = await read('\uFEFFoutcome,bmi,age\r\n2,"21.5",40\r\n0,1e1,-3.25\r\n\r\n1,  7 ,0\r\n');
    expect(records).toEqual([
      { features: Float32Array.from([40, 21.5]), label: 2 },
      { features: Float32Array.from([-3.25, 10]), label: 0 },
      { features: Float32Array.from([0, 7]), label: 1 },
    ]);
  });

  it('reads unlabeled data (no label column) when asked to', async () => {
    const records = await read('age,bmi\n1,2\n', { withLabels: false });
    expect(records).toEqual([{ features: Float32Array.from([1, 2]) }]);
  });

  it("reads multi-label labels as ';'-separated class lists, sorted", async () => {
    const multi: RecordSchema = { ...schema, label: { name: 'outcome', numClasses: 3, multiLabel: true } };
    const records = await read('age,bmi,outcome\n1,2,2;0\n3,4,\n', { schema: multi });
    expect(records.map((r) => r.label)).toEqual([[0, 2], []]);
  });

  it.each([
    ['a word', 'abc', 'bmi', 'not a number'],
    ['NaN', 'NaN', 'bmi', 'not a number'],
    ['Infinity', 'Infinity', 'bmi', 'not a number'],
    ['an overflow', '1e999', 'bmi', 'not a finite number'],
    ['hex', '0x10', 'bmi', 'not a number'],
    ['an empty cell', '', 'bmi', 'missing value'],
  ])('rejects %s naming the row, line and field but not the value', async (_name, cell, field, problem) => {
    const error = await failure(read(`age,bmi,outcome\n1,2,0\n3,${cell},1\n`));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(`row 2 (line 3), field '${field}': ${problem}`);
    expect(error.details).toEqual({ row: 2, field, line: 3 });
  });

  it.each([
    ['out of range', '3'],
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['missing', ''],
  ])('rejects a label that is %s', async (_name, label) => {
    const error = await failure(read(`age,bmi,outcome\n1,2,${label}\n`));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^row 1 \(line 2\), field 'outcome': /);
  });

  it('rejects a row with the wrong number of fields', async () => {
    const error = await failure(read('age,bmi,outcome\n1,2,0\n1,2\n'));
    expect(error.message).toBe('row 2 (line 3): expected 3 fields, found 2');
  });

  it('rejects a header that misses a column, names an unknown one (by position only) or repeats one', async () => {
    expect((await failure(read('age,outcome\n1,0\n'))).message).toBe("header: column 'bmi' is missing");
    const unknown = await failure(read('age,bmi,outcome,secret-value\n1,2,0,3\n'));
    expect(unknown.message).toBe('header: column 4 is not in the schema');
    expect(unknown.message).not.toContain('secret');
    expect((await failure(read('age,age,bmi,outcome\n'))).message).toBe("header: column 'age' appears twice");
  });

  it('reports malformed CSV without quoting the data', async () => {
    const error = await failure(read('age,bmi,outcome\n1,"2,0\n'));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/malformed CSV \(CSV_QUOTE_NOT_CLOSED\)/);
    expect(error.message).not.toContain('"2');
  });

  it('rejects an empty file', async () => {
    expect((await failure(read(''))).code).toBe('VALIDATION_FAILED');
  });

  it('fails with PAYLOAD_TOO_LARGE beyond the byte limit, and beyond the record limit', async () => {
    const text = `age,bmi,outcome\n${'1,2,0\n'.repeat(100)}`;
    expect((await failure(read(text, { maxBytes: 100 }))).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await failure(read(text, { maxRecords: 99 }))).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await read(text, { maxBytes: text.length, maxRecords: 100 })).toHaveLength(100);
  });

  it('refuses image schemas and reading labels the schema does not declare', async () => {
    const image: RecordSchema = { kind: 'image', width: 1, height: 1, channels: 1 };
    expect((await failure(read('a\n1\n', { schema: image }))).code).toBe('VALIDATION_FAILED');
    const unlabeled: RecordSchema = { kind: 'tabular', features: schema.kind === 'tabular' ? schema.features : [] };
    expect((await failure(read('age,bmi\n1,2\n', { schema: unlabeled, withLabels: true }))).code).toBe(
      'VALIDATION_FAILED',
    );
  });
});
