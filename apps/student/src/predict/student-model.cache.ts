import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { StudentModelEntity } from '@conclave/db';
import { StudentArtifactStore, type StudentModel } from '../artifacts/student-artifact.store.js';

/**
 * The deployed student of each dataset, loaded once (content checked against the registry's hash) and kept in
 * memory. Each use names the student currently accepted: when another version was accepted meanwhile, the new one
 * is loaded and the old one disposed.
 */
@Injectable()
export class StudentModelCache implements OnModuleDestroy {
  private readonly loaded = new Map<string, { studentId: string; model: Promise<StudentModel> }>();

  constructor(private readonly artifacts: StudentArtifactStore) {}

  async modelFor(student: StudentModelEntity): Promise<StudentModel> {
    const cached = this.loaded.get(student.consortiumDatasetId);
    if (cached?.studentId === student.id) return cached.model;
    if (cached) void cached.model.then((m) => m.dispose()).catch(() => undefined);
    const model = this.artifacts.load(student.artifactPath!, student.contentHash);
    const entry = { studentId: student.id, model };
    this.loaded.set(student.consortiumDatasetId, entry);
    // A failed load is not cached: the next request tries again.
    model.catch(() => {
      if (this.loaded.get(student.consortiumDatasetId) === entry) this.loaded.delete(student.consortiumDatasetId);
    });
    return model;
  }

  onModuleDestroy(): void {
    for (const entry of this.loaded.values()) void entry.model.then((m) => m.dispose()).catch(() => undefined);
    this.loaded.clear();
  }
}
