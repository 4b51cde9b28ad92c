import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';

/** A model as stored: its topology (architecture and weight manifest) as JSON, its weights as bytes. */
export interface SerializedModel {
  /** `{ format, generatedBy, convertedBy, modelTopology, weightSpecs }` — model.json without file paths. */
  topology: Record<string, unknown>;
  /** The weights, concatenated in `weightSpecs` order (little-endian float32). */
  weights: Buffer;
  /** SHA-256 (hex) of the canonical topology JSON, a 0 byte, then the weights. */
  contentHash: string;
}

/** JSON with object keys sorted at every level, so equal topologies hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The content hash of a serialized model. It covers the topology as well as the weights: the same bytes under
 * another architecture or weight manifest would be another model.
 */
export function modelContentHash(topology: Record<string, unknown>, weights: Uint8Array): string {
  return createHash('sha256')
    .update(canonicalJson(topology))
    .update(Buffer.from([0]))
    .update(weights)
    .digest('hex');
}

/** Serializes a layers model in memory (no files): topology JSON, weight bytes and content hash. */
export async function serializeModel(model: tf.LayersModel): Promise<SerializedModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData)
    throw new Error('the model produced no artifacts');
  const topology: Record<string, unknown> = {
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
  };
  const weights = Buffer.from(tf.io.CompositeArrayBuffer.join(saved.weightData));
  return { topology, weights, contentHash: modelContentHash(topology, weights) };
}

/**
 * Rebuilds a model from its serialized form. With `contentHash`, the content is verified first and a mismatch
 * (corrupted or substituted storage) fails with INTERNAL.
 */
export async function deserializeModel(stored: {
  topology: Record<string, unknown>;
  weights: Uint8Array;
  contentHash?: string | null;
}): Promise<tf.LayersModel> {
  if (stored.contentHash && modelContentHash(stored.topology, stored.weights) !== stored.contentHash) {
    throw new DomainError('INTERNAL', 'the stored model does not match its content hash');
  }
  const { modelTopology, weightSpecs } = stored.topology as {
    modelTopology?: object;
    weightSpecs?: tf.io.WeightsManifestEntry[];
  };
  if (!modelTopology || !Array.isArray(weightSpecs))
    throw new DomainError('INTERNAL', 'the stored model topology is incomplete');
  // A copy into a fresh ArrayBuffer: a Buffer may be a view into a larger shared pool.
  const weightData = new Uint8Array(stored.weights).buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
}

/**
 * The TensorFlow.js layers format as files (model.json + one weights file), e.g. to export the student.
 * `tf.loadLayersModel('file://.../model.json')` (tfjs-node) or an HTTP URL loads it.
 */
export function toLayersModelFiles(
  model: SerializedModel,
  weightsFileName = 'weights.bin',
): { 'model.json': string; [file: string]: string | Buffer } {
  const { weightSpecs, ...rest } = model.topology;
  const modelJson = { ...rest, weightsManifest: [{ paths: [weightsFileName], weights: weightSpecs }] };
  return { 'model.json': JSON.stringify(modelJson), [weightsFileName]: model.weights };
}
