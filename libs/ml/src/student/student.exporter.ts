import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { DomainError } from '@conclave/common';
import { deserializeModel, serializeModel, toLayersModelFiles } from '../models/model.serializer.js';
import type { ModelCard } from './student.types.js';

export const MODEL_CARD_FILE = 'model-card.json';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export interface ExportedStudent {
  /** Absolute or `dir`-relative paths of the written files: model.json, weights.bin, model-card.json. */
  files: string[];
  /** modelContentHash of the serialized model (also in the written card). */
  contentHash: string;
  /** The card as written, with the content hash. */
  card: ModelCard;
}

/**
 * Writes a student in the TensorFlow.js layers format (model.json + weights.bin, loadable with
 * `tf.loadLayersModel`) and its model card (model-card.json, with the model's content hash) into `dir`, which is
 * created if missing. Existing files of those names are replaced.
 */
export async function exportStudent(model: tf.LayersModel, card: ModelCard, dir: string): Promise<ExportedStudent> {
  const serialized = await serializeModel(model);
  const files = toLayersModelFiles(serialized, WEIGHTS_FILE);
  const written: ModelCard = { ...card, model: { ...card.model, contentHash: serialized.contentHash } };
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, content);
    paths.push(path);
  }
  const cardPath = join(dir, MODEL_CARD_FILE);
  await writeFile(cardPath, `${JSON.stringify(written, null, 2)}\n`);
  paths.push(cardPath);
  return { files: paths, contentHash: serialized.contentHash, card: written };
}

/**
 * Loads a student written by exportStudent, checking its content against the card's hash (a mismatch, e.g. a
 * corrupted or substituted weights file, fails with INTERNAL).
 */
export async function loadExportedStudent(dir: string): Promise<{ model: tf.LayersModel; card: ModelCard }> {
  const card = JSON.parse(await readFile(join(dir, MODEL_CARD_FILE), 'utf8')) as ModelCard;
  if (!card.model?.contentHash) throw new DomainError('INTERNAL', 'the model card has no content hash');
  const modelJson = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as Record<string, unknown>;
  const { weightsManifest, ...rest } = modelJson as { weightsManifest?: { paths: string[]; weights: unknown }[] };
  if (!Array.isArray(weightsManifest) || weightsManifest.length !== 1 || weightsManifest[0].paths.length !== 1) {
    throw new DomainError('INTERNAL', 'the exported model has an unexpected weights manifest');
  }
  if (weightsManifest[0].paths[0] !== WEIGHTS_FILE) {
    throw new DomainError('INTERNAL', 'the exported model names an unexpected weights file');
  }
  const weights = await readFile(join(dir, WEIGHTS_FILE));
  const model = await deserializeModel({
    topology: { ...rest, weightSpecs: weightsManifest[0].weights },
    weights,
    contentHash: card.model.contentHash,
  });
  return { model, card };
}
