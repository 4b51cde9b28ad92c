/**
 * Random-shift augmentation for images in HWC layout: each image moves by (dy, dx) whole pixels, the
 * uncovered border filled with 0 (MNIST's background). Writes into `out` at `outOffset`.
 */
export function shiftImageInto(
  source: Float32Array,
  sourceOffset: number,
  shape: readonly number[],
  dy: number,
  dx: number,
  out: Float32Array,
  outOffset: number,
): void {
  const [height, width, channels] = shape;
  const rowSize = width * channels;
  out.fill(0, outOffset, outOffset + height * rowSize);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(width, width + dx);
  if (x1 <= x0) return;
  for (let y = Math.max(0, dy); y < Math.min(height, height + dy); y++) {
    const from = sourceOffset + (y - dy) * rowSize + (x0 - dx) * channels;
    out.set(source.subarray(from, from + (x1 - x0) * channels), outOffset + y * rowSize + x0 * channels);
  }
}
