import type { DataRecord } from '../schema/record.schema.js';
import { ByteBudget, type ByteSource } from './byte-source.reader.js';
import {
  checkJsonLabel,
  checkJsonNumber,
  checkRecordCount,
  labelToRead,
  recordError,
  requireTabular,
  type ReaderOptions,
} from './record-field.validator.js';

const NEWLINE = 0x0a;

/** Splits a byte stream into lines (without the newline); '\n' never occurs inside a UTF-8 multi-byte sequence. */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      yield carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
  }
  if (carry.length > 0) yield Buffer.concat(carry);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Streams validated records from JSON Lines: one object per line, with one number per feature and the label
 * (a class index, or an array of class indexes for multi-label data). Rows are line numbers; blank lines are
 * skipped. Errors name the row and the field, never a value.
 */
export async function* readJsonlRecords(source: ByteSource, options: ReaderOptions): AsyncGenerator<DataRecord> {
  const schema = requireTabular(options.schema, 'JSONL');
  const label = labelToRead(options);
  const budget = new ByteBudget(options.maxBytes);
  const known = new Set(schema.features.map((f) => f.name));
  if (schema.label) known.add(schema.label.name);

  let row = 0;
  let count = 0;
  for await (const bytes of lines(budget.limit(source))) {
    row += 1;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw recordError(row, undefined, 'not valid UTF-8');
    }
    if (text.trim() === '') continue;
    count += 1;
    checkRecordCount(count, options);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text: never forward it.
      throw recordError(row, undefined, 'not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw recordError(row, undefined, 'not a JSON object');
    }
    const object = value as Record<string, unknown>;
    // Unknown keys are counted, not named: a key may be data put in the wrong place.
    const unknown = Object.keys(object).filter((k) => !known.has(k)).length;
    if (unknown > 0) throw recordError(row, undefined, `${unknown} field(s) not in the schema`);
    const features = new Float32Array(schema.features.length);
    schema.features.forEach((feature, f) => {
      const v = checkJsonNumber(object[feature.name]);
      if (typeof v === 'string') throw recordError(row, feature.name, v);
      features[f] = v;
    });
    if (label) {
      yield { features, label: checkJsonLabel(object[label.name], label, row) };
    } else {
      yield { features };
    }
  }
}
