import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { exportStudent, loadExportedStudent, MODEL_CARD_FILE, type ModelCard } from '@conclave/ml';
import { StudentEnv } from '../student.env.js';

/** A loaded student model (a TensorFlow.js LayersModel). */
export type StudentModel = Awaited<ReturnType<typeof loadExportedStudent>>['model'];

/** The files of an exported student, as served. */
export const STUDENT_FILES = {
  'model.json': 'application/json',
  'weights.bin': 'application/octet-stream',
  [MODEL_CARD_FILE]: 'application/json',
} as const;
export type StudentFile = keyof typeof STUDENT_FILES;

/**
 * Where exported students live: `<CONCLAVE_DATA_DIR>/student/models/<student id>/` (model.json, weights.bin,
 * model-card.json). The registry row keeps the path relative to the data directory and the content hash; a
 * student is loaded only after its content was checked against that hash.
 */
@Injectable()
export class StudentArtifactStore {
  private readonly root: string;

  constructor(config: StudentEnv) {
    this.root = resolve(config.CONCLAVE_DATA_DIR);
  }

  /**
   * Exports a trained student into its directory: written under a temporary name first and renamed at the end, so
   * a crash never leaves a half-written student where a finished one is expected. Returns the stored path.
   */
  async export(
    studentId: string,
    model: StudentModel,
    card: ModelCard,
  ): Promise<{ artifactPath: string; contentHash: string; card: ModelCard }> {
    const artifactPath = join('student', 'models', studentId);
    const final = join(this.root, artifactPath);
    const staging = `${final}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      const exported = await exportStudent(model, card, staging);
      await rm(final, { recursive: true, force: true });
      await rename(staging, final);
      return { artifactPath, contentHash: exported.contentHash, card: exported.card };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Loads an exported student, its content checked against the hash the registry recorded. */
  async load(artifactPath: string, contentHash: string | null): Promise<StudentModel> {
    const { model, card } = await loadExportedStudent(this.directory(artifactPath));
    if (contentHash && card.model.contentHash !== contentHash) {
      model.dispose();
      throw new DomainError('INTERNAL', 'the stored student does not match the registry');
    }
    return model;
  }

  async readCard(artifactPath: string): Promise<ModelCard> {
    return JSON.parse(await readFile(join(this.directory(artifactPath), MODEL_CARD_FILE), 'utf8')) as ModelCard;
  }

  /** A file of an exported student, streamed. */
  open(artifactPath: string, file: StudentFile): Readable {
    const path = join(this.directory(artifactPath), file);
    if (!existsSync(path)) throw new DomainError('NOT_FOUND', `The student's ${file} is missing from the store`);
    return createReadStream(path);
  }

  /** The directory of a stored path, which must stay inside the data directory. */
  private directory(artifactPath: string): string {
    const dir = resolve(this.root, artifactPath);
    const inside = relative(this.root, dir);
    if (inside.startsWith('..') || isAbsolute(inside)) throw new DomainError('INTERNAL', 'bad student artifact path');
    return dir;
  }
}
