import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { TeacherModelRepository, type ReadyTeacher } from '@conclave/db';
import { DomainError } from '@conclave/common';
import { deserializeModel } from '@conclave/ml';

export type TeacherModel = Awaited<ReturnType<typeof deserializeModel>>;

/**
 * The ready teachers of each dataset, deserialized once and kept in memory. Every use compares the cached
 * models with the dataset's ready teachers (ids only, a small query without weights): a retrained partition's new model is
 * loaded and the superseded one disposed, a discarded one is dropped. Discard and retraining also
 * invalidate explicitly, to free memory at once.
 */
@Injectable()
export class TeacherModelCache implements OnModuleDestroy {
  private readonly datasets = new Map<string, Map<string, TeacherModel>>();
  /** Per-dataset serialisation of loads, so concurrent vote requests never load a model twice. */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(private readonly models: TeacherModelRepository) {}

  /**
   * The dataset's ready teachers (ordered by partition name) and their models, loading the missing ones and
   * disposing those no longer ready.
   */
  async modelsFor(datasetName: string): Promise<{ teachers: ReadyTeacher[]; models: TeacherModel[] }> {
    const previous = this.pending.get(datasetName) ?? Promise.resolve();
    const work = previous.catch(() => undefined).then(() => this.load(datasetName));
    this.pending.set(datasetName, work);
    try {
      return await work;
    } finally {
      if (this.pending.get(datasetName) === work) this.pending.delete(datasetName);
    }
  }

  /** Disposes every cached model of a dataset (discard, retraining). */
  invalidate(datasetName: string): void {
    const cached = this.datasets.get(datasetName);
    if (!cached) return;
    this.datasets.delete(datasetName);
    for (const model of cached.values()) model.dispose();
  }

  /** How many models are cached for a dataset (for tests and metrics). */
  size(datasetName: string): number {
    return this.datasets.get(datasetName)?.size ?? 0;
  }

  onModuleDestroy(): void {
    for (const name of [...this.datasets.keys()]) this.invalidate(name);
  }

  private async load(datasetName: string): Promise<{ teachers: ReadyTeacher[]; models: TeacherModel[] }> {
    // A discard or retraining that invalidates the dataset while its models load makes the load start over.
    for (let attempt = 0; attempt < 3; attempt++) {
      const teachers = await this.models.listReady({ datasetName });
      const models = await this.sync(datasetName, teachers);
      if (models) return { teachers, models };
    }
    throw new DomainError('CONFLICT', `The teachers of dataset '${datasetName}' are changing: retry the request`);
  }

  private async sync(datasetName: string, ready: readonly ReadyTeacher[]): Promise<TeacherModel[] | null> {
    let cached = this.datasets.get(datasetName);
    if (!cached) {
      cached = new Map();
      this.datasets.set(datasetName, cached);
    }
    const wanted = new Set(ready.map((t) => t.modelId));
    for (const [modelId, model] of cached) {
      if (!wanted.has(modelId)) {
        cached.delete(modelId);
        model.dispose();
      }
    }
    const missing = ready.filter((t) => !cached.has(t.modelId)).map((t) => t.modelId);
    if (missing.length > 0) {
      const stored = await this.models.loadReady({ datasetName, modelIds: missing });
      for (const entry of stored) {
        // The content hash is verified on load: corrupted or substituted weights fail here, not silently.
        const model = await deserializeModel(entry);
        if (this.datasets.get(datasetName) === cached) cached.set(entry.modelId, model);
        else model.dispose();
      }
    }
    if (this.datasets.get(datasetName) !== cached) return null;
    const models = ready.map((t) => cached.get(t.modelId));
    // A model that stopped being ready between the two queries: start over with a fresh list.
    if (models.some((m) => m === undefined)) return null;
    return models as TeacherModel[];
  }
}
