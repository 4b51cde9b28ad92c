import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Features as stored (private_record.features): packed little-endian float32. */
export function packFeatures(features: Float32Array): Buffer {
  if (LITTLE_ENDIAN_HOST)
    return Buffer.from(features.buffer.slice(features.byteOffset, features.byteOffset + features.byteLength));
  const out = Buffer.alloc(features.length * 4);
  features.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

/** The inverse of packFeatures (copies into an aligned buffer: a pg Buffer may sit at any offset). */
export function unpackFeatures(bytes: Buffer): Float32Array {
  if (bytes.length % 4 !== 0) throw new Error('stored features are not a whole number of float32 values');
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  }
  return out;
}
