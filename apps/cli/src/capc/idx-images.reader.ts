import { readFileSync } from 'node:fs';

/** Images of an IDX3 file (e.g. MNIST's), each as height × width values in [0, 1]. */
export function readIdxImages(path: string, limit?: number): Float32Array[] {
  const bytes = readFileSync(path);
  if (bytes.length < 16 || bytes.readUInt32BE(0) !== 0x00000803) throw new Error(`${path} is not an IDX3 image file`);
  const count = bytes.readUInt32BE(4);
  const size = bytes.readUInt32BE(8) * bytes.readUInt32BE(12);
  const n = Math.min(count, limit ?? count);
  if (bytes.length < 16 + n * size) throw new Error(`${path} is truncated`);
  return Array.from({ length: n }, (_, i) =>
    Float32Array.from(bytes.subarray(16 + i * size, 16 + (i + 1) * size), (v) => v / 255),
  );
}
