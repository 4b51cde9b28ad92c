import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PartitionRepository, TeacherModelRepository, type ReadyTeacher } from '@conclave/db';
import { DomainError } from '@conclave/common';
import { deserializeModel, parseRecordSchema, type RecordSchema } from '@conclave/ml';

export type TeacherModel = Awaited<ReturnType<typeof deserializeModel>>;

/** What a vote request needs of a dataset: its record schema and its ready teachers, loaded. */
export interface VotingTeachers {
  /** The schema every partition of the dataset declares; null when this service holds no partition of it. */
  schema: RecordSchema | null;
  /** The ready teachers (ordered by partition name) and their models, in the same order. */
  teachers: ReadyTeacher[];
  models: TeacherModel[];
}

interface DatasetModels {
  /** Deserialized models by model id: kept across refreshes, so that only new models are loaded. */
  models: Map<string, TeacherModel>;
  /** The dataset's current voting teachers; null when they must be read again from the database. */
  current: VotingTeachers | null;
}

/**
 * The ready teachers of each dataset, deserialized once and kept in memory, with the dataset's record schema:
 * a vote request reads nothing from the database while they are current. They stop being current when the
 * training runner reports a new ready teacher (`refresh`: the next use reads the ready list again, loads the new
 * model and disposes the one it superseded) and on discard (`invalidate`: every model is disposed at once).
 * Datasets without a ready teacher are not kept: each request reads them again (and gets its error).
 */
@Injectable()
export class TeacherModelCache implements OnModuleDestroy {
  private readonly datasets = new Map<string, DatasetModels>();
  /** Per-dataset serialisation of loads, so concurrent vote requests never load a model twice. */
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Moves on every refresh or invalidation: a load that read the database before a change is not kept. */
  private version = 0;

  constructor(
    private readonly models: TeacherModelRepository,
    private readonly partitions: PartitionRepository,
  ) {}

  /**
   * The dataset's schema and ready teachers with their models: from memory when current, otherwise read from the
   * database, loading the missing models and disposing those no longer ready.
   */
  async votingTeachers(datasetName: string): Promise<VotingTeachers> {
    const current = this.datasets.get(datasetName)?.current;
    if (current) return current;
    const previous = this.pending.get(datasetName) ?? Promise.resolve();
    const work = previous.catch(() => undefined).then(() => this.load(datasetName));
    this.pending.set(datasetName, work);
    try {
      return await work;
    } finally {
      if (this.pending.get(datasetName) === work) this.pending.delete(datasetName);
    }
  }

  /**
   * A teacher of the dataset became ready (a new partition's, or one replacing its partition's previous model):
   * the next use reads the ready list again. The models already loaded are kept; the superseded one is then disposed.
   */
  refresh(datasetName: string): void {
    this.version += 1;
    const cached = this.datasets.get(datasetName);
    if (cached) cached.current = null;
  }

  /** Disposes every cached model of a dataset (discard, end of a training run). */
  invalidate(datasetName: string): void {
    this.version += 1;
    const cached = this.datasets.get(datasetName);
    if (!cached) return;
    this.datasets.delete(datasetName);
    for (const model of cached.models.values()) model.dispose();
  }

  /** How many models are cached for a dataset (for tests and metrics). */
  size(datasetName: string): number {
    return this.datasets.get(datasetName)?.models.size ?? 0;
  }

  onModuleDestroy(): void {
    for (const name of [...this.datasets.keys()]) this.invalidate(name);
  }

  private async load(datasetName: string): Promise<VotingTeachers> {
    // A request queued behind a load that made the dataset current needs no load of its own.
    const current = this.datasets.get(datasetName)?.current;
    if (current) return current;
    // A discard or retraining that invalidates the dataset while its models load makes the load start over.
    for (let attempt = 0; attempt < 3; attempt++) {
      const version = this.version;
      const [partitions, teachers] = await Promise.all([
        this.partitions.list({ datasetName }),
        this.models.listReady({ datasetName }),
      ]);
      const schema = partitions.length > 0 ? parseRecordSchema(partitions[0]!.recordSchema) : null;
      const models = await this.sync(datasetName, teachers);
      if (!models) continue;
      const voting = { schema, teachers, models };
      const cached = this.datasets.get(datasetName);
      // Kept only if nothing changed since the lists were read, and only with teachers to vote.
      if (cached && this.version === version && models.length > 0) cached.current = voting;
      return voting;
    }
    throw new DomainError('CONFLICT', `The teachers of dataset '${datasetName}' are changing: retry the request`);
  }

  private async sync(datasetName: string, ready: readonly ReadyTeacher[]): Promise<TeacherModel[] | null> {
    let cached = this.datasets.get(datasetName);
    if (!cached) {
      cached = { models: new Map(), current: null };
      this.datasets.set(datasetName, cached);
    }
    const loaded = cached.models;
    const wanted = new Set(ready.map((t) => t.modelId));
    for (const [modelId, model] of loaded) {
      if (!wanted.has(modelId)) {
        loaded.delete(modelId);
        model.dispose();
      }
    }
    const missing = ready.filter((t) => !loaded.has(t.modelId)).map((t) => t.modelId);
    if (missing.length > 0) {
      const stored = await this.models.loadReady({ datasetName, modelIds: missing });
      for (const entry of stored) {
        // The content hash is verified on load: corrupted or substituted weights fail here, not silently.
        const model = await deserializeModel(entry);
        if (this.datasets.get(datasetName) === cached) loaded.set(entry.modelId, model);
        else model.dispose();
      }
    }
    if (this.datasets.get(datasetName) !== cached) return null;
    const models = ready.map((t) => loaded.get(t.modelId));
    // A model that stopped being ready between the two queries: start over with a fresh list.
    if (models.some((m) => m === undefined)) return null;
    return models as TeacherModel[];
  }
}
