import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PartitionEntity } from '../entities/teacher/partition.entity.js';

/** A small labeled tabular schema for tests. */
export const TEST_TABULAR_SCHEMA = {
  kind: 'tabular',
  features: [
    { name: 'age', type: 'number' },
    { name: 'pressure', type: 'number' },
  ],
  label: { name: 'outcome', numClasses: 3 },
};

/** Test factories for a teacher service's rows: `ctx.newPartition()` with unique names. */
export class TeacherFactory {
  constructor(private readonly dataSource: DataSource) {}

  unique(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  async newPartition(
    overrides: { datasetName?: string; name?: string; recordSchema?: Record<string, unknown> } = {},
  ): Promise<PartitionEntity> {
    return this.dataSource.getRepository(PartitionEntity).save({
      datasetName: overrides.datasetName ?? this.unique('dataset'),
      name: overrides.name ?? this.unique('partition'),
      recordSchema: (overrides.recordSchema ?? TEST_TABULAR_SCHEMA) as never,
      recordCount: 0,
      status: 'loading' as const,
    });
  }
}
