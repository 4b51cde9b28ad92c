import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DomainError } from '@conclave/common';
import { CapcHeadEntity } from '../entities/teacher/capc-head.entity.js';
import { PartitionEntity } from '../entities/teacher/partition.entity.js';
import type { DatasetScope, PartitionScope } from './partition.repository.js';
import { lockPartition } from './partition.repository.js';

/** A head as it is stored (libs/ml `encodeCapcHead` gives the parameters and the content hash). */
export interface CapcHeadInput {
  kind: 'linear' | 'square-mlp';
  extractorId: string;
  classes: number;
  dimension: number;
  hiddenUnits: number | null;
  parameters: Buffer;
  contentHash: string;
  metrics: Record<string, unknown>;
}

/** A stored head of a dataset's partition, with the partition's place in the dataset. */
export interface StoredCapcHead extends CapcHeadInput {
  id: string;
  partitionId: string;
  partitionName: string;
  /** 0-based rank of the partition among all the dataset's partitions, ordered by name (as votes are). */
  partitionIndex: number;
  createdAt: Date;
}

/** The confidential-mode heads of the owner's partitions (one per partition and kind at most). */
@Injectable()
export class CapcHeadRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Makes `heads` the partition's heads: under the partition's lock, its previous heads (every kind) are deleted
   * and these inserted. Refused (TEACHER_DISCARDED) when the partition was discarded, so that a training that
   * finishes after a discard never stores a head.
   */
  async replaceHeads(scope: PartitionScope, heads: CapcHeadInput[]): Promise<CapcHeadEntity[]> {
    return this.dataSource.transaction(async (manager) => {
      const partition = await lockPartition(manager, scope.partitionId);
      if (partition.status === 'discarded') {
        throw new DomainError('TEACHER_DISCARDED', "The partition's teachers were discarded");
      }
      const repository = manager.getRepository(CapcHeadEntity);
      await repository.delete({ partitionId: partition.id });
      if (heads.length === 0) return [];
      return repository.save(
        heads.map((head) => ({ ...head, metrics: head.metrics as never, partitionId: partition.id })),
      );
    });
  }

  /** The heads of the dataset's partitions that are not discarded, ordered by partition name, then kind. */
  async listForDataset(scope: DatasetScope): Promise<StoredCapcHead[]> {
    const partitions = await this.dataSource
      .getRepository(PartitionEntity)
      .createQueryBuilder('p')
      .select(['p.id', 'p.name', 'p.status'])
      .where('p.datasetName = :datasetName', { datasetName: scope.datasetName })
      .orderBy('p.name', 'ASC')
      .getMany();
    const live = partitions.filter((p) => p.status !== 'discarded');
    if (live.length === 0) return [];
    const heads = await this.dataSource.getRepository(CapcHeadEntity).find({
      where: { partitionId: In(live.map((p) => p.id)) },
      order: { kind: 'ASC' },
    });
    const result: StoredCapcHead[] = [];
    partitions.forEach((partition, partitionIndex) => {
      if (partition.status === 'discarded') return;
      for (const head of heads) {
        if (head.partitionId !== partition.id) continue;
        result.push({
          id: head.id,
          partitionId: head.partitionId,
          partitionName: partition.name,
          partitionIndex,
          kind: head.kind,
          extractorId: head.extractorId,
          classes: head.classes,
          dimension: head.dimension,
          hiddenUnits: head.hiddenUnits,
          parameters: head.parameters,
          contentHash: head.contentHash,
          metrics: head.metrics,
          createdAt: head.createdAt,
        });
      }
    });
    return result;
  }

  /** Deletes the heads of every partition of the dataset (discard); returns how many were deleted. */
  async deleteForDataset(scope: DatasetScope): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const partitions = await manager
        .getRepository(PartitionEntity)
        .find({ select: { id: true }, where: { datasetName: scope.datasetName } });
      if (partitions.length === 0) return 0;
      const result = await manager
        .getRepository(CapcHeadEntity)
        .delete({ partitionId: In(partitions.map((p) => p.id)) });
      return result.affected ?? 0;
    });
  }
}
