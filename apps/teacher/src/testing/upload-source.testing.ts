import { Readable } from 'node:stream';
import type { LabeledDataset } from '@conclave/ml';
import type { UploadSource } from '@conclave/ingest';

/** A request-like upload for tests: the body arrives in chunks, as over a socket. */
export function uploadOf(body: Buffer | string, contentType: string, chunkBytes = 4096): UploadSource {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers: { 'content-type': contentType } });
}

/** A multipart/form-data body of the given parts, in order. */
export function multipartBody(parts: Array<{ name: string; data: Buffer | string; filename?: string }>): {
  body: Buffer;
  contentType: string;
} {
  const boundary = '----conclave-test-boundary-7d1f';
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename
      ? `form-data; name="${part.name}"; filename="${part.filename}"`
      : `form-data; name="${part.name}"`;
    const type = part.filename ? 'Content-Type: application/octet-stream\r\n' : '';
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    pieces.push(typeof part.data === 'string' ? Buffer.from(part.data) : part.data);
    pieces.push(Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** MNIST-style IDX files (labels idx1, images idx3) of an image dataset with values in [0, 1]. */
export function idxFilesOf(data: LabeledDataset): { labels: Buffer; images: Buffer } {
  const [height, width] = data.featureShape as [number, number, number];
  const labels = Buffer.alloc(8 + data.count);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(data.count, 4);
  const images = Buffer.alloc(16 + data.features.length);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(data.count, 4);
  images.writeUInt32BE(height, 8);
  images.writeUInt32BE(width, 12);
  for (let i = 0; i < data.count; i++) labels[8 + i] = data.multiLabel ? 0 : data.labels[i]!;
  for (let i = 0; i < data.features.length; i++) images[16 + i] = Math.round(data.features[i]! * 255);
  return { labels, images };
}
