import { DomainError } from '@conclave/common';

/**
 * Checks prediction records (untrusted JSON) and packs them row-major: at most `maxRecords`, each exactly `size`
 * finite numbers. Errors name the record (and feature) index, never a value.
 */
export function packPredictRecords(records: unknown[], size: number, maxRecords: number): Float32Array {
  if (records.length === 0) throw new DomainError('VALIDATION_FAILED', 'records must hold at least one record');
  if (records.length > maxRecords) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `records holds ${records.length} records: at most ${maxRecords} per request`,
      {
        maxRecords,
      },
    );
  }
  const packed = new Float32Array(records.length * size);
  records.forEach((record, i) => {
    if (!Array.isArray(record)) {
      throw new DomainError('VALIDATION_FAILED', `records[${i}] must be an array of ${size} numbers`, { record: i });
    }
    if (record.length !== size) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `records[${i}] has ${record.length} values: the dataset's records have ${size}`,
        { record: i },
      );
    }
    for (let j = 0; j < size; j++) {
      const value: unknown = record[j];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new DomainError('VALIDATION_FAILED', `records[${i}][${j}] is not a finite number`, {
          record: i,
          feature: j,
        });
      }
      packed[i * size + j] = value;
    }
  });
  return packed;
}
