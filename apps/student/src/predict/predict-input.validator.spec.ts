import { describe, expect, it } from '@jest/globals';
import type { DomainError } from '@conclave/common';
import { packPredictRecords } from './predict-input.validator.js';

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a failure');
}

describe('packPredictRecords', () => {
  it('packs records row-major', () => {
    expect(
      Array.from(
        packPredictRecords(
          [
            [1, 2],
            [3, 4.5],
          ],
          2,
          10,
        ),
      ),
    ).toEqual([1, 2, 3, 4.5]);
  });

  it('refuses bad input naming the record (and feature) index, never the value', () => {
    const cases: Array<[unknown[], string]> = [
      [[], 'at least one record'],
      [
        [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
        'at most 2',
      ],
      [[[1, 2], 'x'], 'records[1] must be an array'],
      [
        [
          [1, 2],
          [1, 2, 3],
        ],
        'records[1] has 3 values',
      ],
      [
        [
          [1, 2],
          [1, Number.NaN],
        ],
        'records[1][1] is not a finite number',
      ],
      [
        [
          [1, 2],
          [1, '7'],
        ],
        'records[1][1] is not a finite number',
      ],
      [
        [
          [1, 2],
          [null, 1],
        ],
        'records[1][0] is not a finite number',
      ],
    ];
    for (const [records, message] of cases) {
      const error = failure(() => packPredictRecords(records, 2, 2));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain(message);
      expect(error.message).not.toContain('7');
    }
  });
});
