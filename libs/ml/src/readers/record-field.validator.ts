import { DomainError } from '@conclave/common';
import type { LabelSpec, RecordSchema, TabularSchema } from '../schema/record.schema.js';

/**
 * Builds the error for one bad record. The message names the row and the field, never the value:
 * record values are private and error messages reach clients and logs.
 */
export function recordError(row: number, field: string | undefined, problem: string, line?: number): DomainError {
  const where = line !== undefined && line !== row ? `row ${row} (line ${line})` : `row ${row}`;
  const message = field === undefined ? `${where}: ${problem}` : `${where}, field '${field}': ${problem}`;
  return new DomainError('VALIDATION_FAILED', message, {
    row,
    ...(field === undefined ? {} : { field }),
    ...(line === undefined ? {} : { line }),
  });
}

// A plain decimal number: no hex, no "Infinity", no "NaN", no empty string (which Number() would read as 0).
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a CSV cell as a finite number, or returns the problem. */
export function parseNumberText(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'missing value';
  if (!DECIMAL.test(trimmed)) return 'not a number';
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : 'not a finite number';
}

/** Checks a JSON value as a finite number, or returns the problem. */
export function checkJsonNumber(value: unknown): number | string {
  if (value === undefined || value === null) return 'missing value';
  if (typeof value !== 'number') return 'not a number';
  return Number.isFinite(value) ? value : 'not a finite number';
}

function checkClass(value: number, spec: LabelSpec, row: number, line?: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= spec.numClasses) {
    throw recordError(row, spec.name, `not a class index in [0, ${spec.numClasses - 1}]`, line);
  }
  return value;
}

function checkClassList(values: number[], spec: LabelSpec, row: number, line?: number): number[] {
  for (const v of values) checkClass(v, spec, row, line);
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length !== values.length) throw recordError(row, spec.name, 'repeats a class', line);
  return sorted;
}

/** A label from JSON: an integer class, or (multi-label) an array of distinct integer classes. */
export function checkJsonLabel(value: unknown, spec: LabelSpec, row: number, line?: number): number | number[] {
  if (value === undefined || value === null) throw recordError(row, spec.name, 'missing label', line);
  if (spec.multiLabel) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) {
      throw recordError(row, spec.name, 'not an array of class indexes', line);
    }
    return checkClassList(value as number[], spec, row, line);
  }
  if (typeof value !== 'number') throw recordError(row, spec.name, 'not a class index', line);
  return checkClass(value, spec, row, line);
}

/** A label from CSV text: an integer class, or (multi-label) classes separated by ';' (empty = none positive). */
export function parseLabelText(text: string, spec: LabelSpec, row: number, line?: number): number | number[] {
  const trimmed = text.trim();
  if (spec.multiLabel) {
    if (trimmed === '') return [];
    const parts = trimmed.split(';').map((p) => p.trim());
    if (parts.some((p) => !/^\d+$/.test(p)))
      throw recordError(row, spec.name, "not a ';'-separated list of class indexes", line);
    return checkClassList(parts.map(Number), spec, row, line);
  }
  if (trimmed === '') throw recordError(row, spec.name, 'missing label', line);
  if (!/^[+-]?\d+$/.test(trimmed)) throw recordError(row, spec.name, 'not a class index', line);
  return checkClass(Number(trimmed), spec, row, line);
}

/** Common reader options. */
export interface ReaderOptions {
  schema: RecordSchema;
  /** Total bytes the reader accepts; beyond it the read fails with PAYLOAD_TOO_LARGE. */
  maxBytes: number;
  /** Read labels (default: whether the schema declares one). Without a label in the schema this must be false. */
  withLabels?: boolean;
  /** Fails with PAYLOAD_TOO_LARGE after this many records (default: unlimited). */
  maxRecords?: number;
}

/** Resolves `withLabels` against the schema: the label spec to read, or undefined. */
export function labelToRead(options: ReaderOptions): LabelSpec | undefined {
  const wanted = options.withLabels ?? options.schema.label !== undefined;
  if (!wanted) return undefined;
  if (!options.schema.label) throw new DomainError('VALIDATION_FAILED', 'the schema declares no label to read');
  return options.schema.label;
}

export function requireTabular(schema: RecordSchema, format: string): TabularSchema {
  if (schema.kind !== 'tabular') {
    throw new DomainError(
      'VALIDATION_FAILED',
      `${format} files take a tabular schema (use the PNG or IDX reader for images)`,
    );
  }
  return schema;
}

/** Counts records against `maxRecords`. */
export function checkRecordCount(count: number, options: ReaderOptions): void {
  if (options.maxRecords !== undefined && count > options.maxRecords) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `the data exceeds the limit of ${options.maxRecords} records`, {
      maxRecords: options.maxRecords,
    });
  }
}
