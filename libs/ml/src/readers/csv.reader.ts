import { Readable, pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { DomainError } from '@conclave/common';
import type { DataRecord } from '../schema/record.schema.js';
import { ByteBudget, type ByteSource } from './byte-source.reader.js';
import {
  checkRecordCount,
  labelToRead,
  parseLabelText,
  parseNumberText,
  recordError,
  requireTabular,
  type ReaderOptions,
} from './record-field.validator.js';

interface ParsedRow {
  record: string[];
  info: { lines: number };
}

/** Maps the header to column indexes: every feature (and the label, when read) exactly once, nothing else. */
function mapHeader(header: string[], names: string[]): number[] {
  const index = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim();
    // Column names that are not in the schema are reported by position: a file without a header row would
    // otherwise put a record's values into the message.
    if (!names.includes(name))
      throw new DomainError('VALIDATION_FAILED', `header: column ${i + 1} is not in the schema`);
    if (index.has(name)) throw new DomainError('VALIDATION_FAILED', `header: column '${name}' appears twice`);
    index.set(name, i);
  });
  return names.map((name) => {
    const i = index.get(name);
    if (i === undefined) throw new DomainError('VALIDATION_FAILED', `header: column '${name}' is missing`);
    return i;
  });
}

/** csv-parse's own messages may quote field values, so only its code and line reach the caller. */
function parserError(error: CsvError, row: number): DomainError {
  const line = typeof error.lines === 'number' ? error.lines : undefined;
  return recordError(row, undefined, `malformed CSV (${error.code})`, line);
}

/**
 * Streams validated records from a CSV file with a header row naming the schema's features (and the label).
 * Rows are numbered from 1 after the header; errors name the row (and file line) and the field, never a value.
 * Multi-label labels are class indexes separated by ';'.
 */
export async function* readCsvRecords(source: ByteSource, options: ReaderOptions): AsyncGenerator<DataRecord> {
  const schema = requireTabular(options.schema, 'CSV');
  const label = labelToRead(options);
  const budget = new ByteBudget(options.maxBytes);
  const names = schema.features.map((f) => f.name);
  if (label) names.push(label.name);

  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true });
  pipeline(Readable.from(budget.limit(source)), parser, () => {
    // Errors reach the consumer through the parser's iterator.
  });

  let columns: number[] | undefined;
  let row = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<ParsedRow>) {
      if (!columns) {
        columns = mapHeader(record, names);
        continue;
      }
      row += 1;
      checkRecordCount(row, options);
      if (record.length !== names.length) {
        throw recordError(row, undefined, `expected ${names.length} fields, found ${record.length}`, info.lines);
      }
      const features = new Float32Array(schema.features.length);
      for (let f = 0; f < schema.features.length; f++) {
        const value = parseNumberText(record[columns[f]]);
        if (typeof value === 'string') throw recordError(row, schema.features[f].name, value, info.lines);
        features[f] = value;
      }
      if (label) {
        yield { features, label: parseLabelText(record[columns[names.length - 1]], label, row, info.lines) };
      } else {
        yield { features };
      }
    }
  } catch (error) {
    if (error instanceof CsvError) throw parserError(error, row + 1);
    throw error;
  } finally {
    parser.destroy();
  }
  if (!columns) throw new DomainError('VALIDATION_FAILED', 'the CSV file is empty (no header row)');
}
