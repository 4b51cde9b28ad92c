import { describe, expect, it } from '@jest/globals';
import { shiftImageInto } from './random-shift.augmentation.js';

// A 3x3 single-channel image 1..9, row-major.
const image = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

function shifted(dy: number, dx: number, channels = 1, source = image): number[] {
  const out = new Float32Array(source.length + 2).fill(-1);
  shiftImageInto(source, 0, [3, 3, channels], dy, dx, out, 1);
  expect([out[0], out[out.length - 1]]).toEqual([-1, -1]); // nothing written outside the slot
  return Array.from(out.subarray(1, 1 + source.length));
}

describe('shiftImageInto', () => {
  it('moves the image down/right and up/left, filling the border with 0', () => {
    expect(shifted(0, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(shifted(1, 1)).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
    expect(shifted(-1, 0)).toEqual([4, 5, 6, 7, 8, 9, 0, 0, 0]);
    expect(shifted(0, -2)).toEqual([3, 0, 0, 6, 0, 0, 9, 0, 0]);
    expect(shifted(3, 0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('moves all channels of a pixel together', () => {
    const rgb = Float32Array.from({ length: 27 }, (_, i) => i);
    const out = shifted(0, 1, 3, rgb);
    expect(out.slice(0, 9)).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5]);
  });
});
