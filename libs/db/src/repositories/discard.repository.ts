import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DiscardRecordEntity } from '../entities/teacher/discard-record.entity.js';
import { PartitionEntity } from '../entities/teacher/partition.entity.js';
import { PrivateRecordEntity } from '../entities/teacher/private-record.entity.js';
import { TeacherModelEntity } from '../entities/teacher/teacher-model.entity.js';
import type { DatasetScope } from './partition.repository.js';

export interface DiscardRequest {
  deleteData: boolean;
  reason: string | null;
  requestedBy: { keyId: string; role: string } | null;
}

/** A discard's evidence; `repeated` when the teachers were already discarded and nothing was deleted now. */
export type DiscardOutcome = DiscardRecordEntity & { repeated: boolean };

/** Discards a dataset's teachers (and, on request, its private records), with the evidence of it. */
@Injectable()
export class DiscardRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * In one transaction, under the row locks of the dataset's partitions: every model's weights and topology
   * are deleted (the row stays, status `discarded`, with its content hash as evidence), the partitions are
   * marked discarded, the records are deleted when asked, and a discard record names who, when and which
   * model hashes were deleted. Returns null when the service holds no partition of the dataset.
   *
   * Idempotent: when every partition is already discarded and there is nothing left to delete (no model, no
   * records asked for), nothing is written and the first discard's record is returned, marked `repeated` — a
   * retried request (e.g. after a lost response) gets the evidence of what was deleted, not an empty record.
   */
  async discardDataset(scope: DatasetScope, request: DiscardRequest): Promise<DiscardOutcome | null> {
    return this.dataSource.transaction(async (manager) => {
      const partitions = await manager.getRepository(PartitionEntity).find({
        where: { datasetName: scope.datasetName },
        order: { id: 'ASC' },
        lock: { mode: 'pessimistic_write' },
      });
      if (partitions.length === 0) return null;
      const partitionIds = partitions.map((p) => p.id);
      const models = await manager
        .getRepository(TeacherModelEntity)
        .createQueryBuilder('m')
        .select(['m.id', 'm.contentHash', 'm.status'])
        .where('m.partitionId IN (:...partitionIds)', { partitionIds })
        .andWhere("(m.weights IS NOT NULL OR m.status IN ('ready', 'training'))")
        .getMany();
      if (models.length === 0 && !request.deleteData && partitions.every((p) => p.status === 'discarded')) {
        const first = await manager
          .getRepository(DiscardRecordEntity)
          .findOne({ where: { datasetName: scope.datasetName }, order: { createdAt: 'ASC' } });
        if (first) return { ...first, repeated: true };
      }
      const now = new Date();
      if (models.length > 0) {
        await manager
          .getRepository(TeacherModelEntity)
          .update(
            { id: In(models.map((m) => m.id)) },
            { weights: null, topology: null, status: 'discarded', discardedAt: now },
          );
      }
      await manager.getRepository(PartitionEntity).update({ id: In(partitionIds) }, { status: 'discarded' });
      if (request.deleteData) {
        await manager.getRepository(PrivateRecordEntity).delete({ partitionId: In(partitionIds) });
        await manager.getRepository(PartitionEntity).update({ id: In(partitionIds) }, { recordCount: 0 });
      }
      const hashes = models.map((m) => m.contentHash).filter((h): h is string => h !== null);
      const record = await manager.getRepository(DiscardRecordEntity).save({
        datasetName: scope.datasetName,
        modelsDeleted: hashes.length,
        deletedModelHashes: hashes,
        dataDeleted: request.deleteData,
        requestedByKeyId: request.requestedBy?.keyId ?? null,
        requestedByRole: request.requestedBy?.role ?? null,
        reason: request.reason,
      });
      return { ...record, repeated: false };
    });
  }

  /** Whether the dataset's teachers were ever discarded. */
  async wasDiscarded(scope: DatasetScope): Promise<boolean> {
    return this.dataSource.getRepository(DiscardRecordEntity).existsBy({ datasetName: scope.datasetName });
  }

  async list(filter: Partial<DatasetScope> = {}): Promise<DiscardRecordEntity[]> {
    return this.dataSource.getRepository(DiscardRecordEntity).find({
      where: filter.datasetName ? { datasetName: filter.datasetName } : {},
      order: { createdAt: 'DESC' },
    });
  }
}
