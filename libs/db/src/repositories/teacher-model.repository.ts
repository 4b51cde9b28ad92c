import { Injectable } from '@nestjs/common';
import { DataSource, Not } from 'typeorm';
import { DomainError } from '@conclave/common';
import { PartitionEntity } from '../entities/teacher/partition.entity.js';
import { TeacherModelEntity } from '../entities/teacher/teacher-model.entity.js';
import type { DatasetScope, PartitionScope } from './partition.repository.js';
import { lockPartition } from './partition.repository.js';

/** A ready teacher, without its weights: what the vote cache compares against. */
export interface ReadyTeacher {
  modelId: string;
  partitionId: string;
  partitionName: string;
  contentHash: string;
}

/** A ready teacher's stored model, as deserializeModel takes it. */
export interface StoredTeacherModel {
  modelId: string;
  topology: Record<string, unknown>;
  weights: Buffer;
  contentHash: string;
}

export interface TrainedModel {
  topology: Record<string, unknown>;
  weights: Buffer;
  contentHash: string;
  metrics: Record<string, unknown>;
}

/** The teacher models of the owner's partitions (one ready model per partition at most). */
@Injectable()
export class TeacherModelRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records that a partition's teacher is being trained (status `training`, no weights yet). */
  async startTraining(
    scope: PartitionScope,
    input: { architecture: string; hyperparameters: Record<string, unknown> },
  ): Promise<TeacherModelEntity> {
    return this.dataSource.transaction(async (manager) => {
      const partition = await lockPartition(manager, scope.partitionId);
      if (partition.status === 'discarded') {
        throw new DomainError('TEACHER_DISCARDED', "The partition's teachers were discarded");
      }
      return manager.getRepository(TeacherModelEntity).save({
        partitionId: partition.id,
        architecture: input.architecture,
        hyperparameters: input.hyperparameters as never,
        status: 'training' as const,
        weights: null,
        topology: null,
        contentHash: null,
        metrics: null,
        discardedAt: null,
      });
    });
  }

  /**
   * Stores a trained model and makes it the partition's teacher: under the partition's lock, the previous
   * ready model of the partition is deleted (weights included) and this one becomes ready. Refused when the
   * partition was discarded meanwhile (the weights are then never written).
   */
  async completeTraining(scope: PartitionScope & { modelId: string }, model: TrainedModel): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const partition = await lockPartition(manager, scope.partitionId);
      const repository = manager.getRepository(TeacherModelEntity);
      if (partition.status === 'discarded') {
        await repository.update(
          { id: scope.modelId, partitionId: partition.id },
          { status: 'discarded', discardedAt: new Date() },
        );
        throw new DomainError('TEACHER_DISCARDED', "The partition's teachers were discarded during training");
      }
      await repository.delete({ partitionId: partition.id, status: 'ready', id: Not(scope.modelId) });
      const result = await repository.update(
        { id: scope.modelId, partitionId: partition.id, status: 'training' },
        {
          status: 'ready',
          weights: model.weights,
          topology: model.topology as never,
          contentHash: model.contentHash,
          metrics: model.metrics as never,
        },
      );
      if ((result.affected ?? 0) === 0) throw new DomainError('NOT_FOUND', 'No teacher model in training with this id');
    });
  }

  async failTraining(scope: PartitionScope & { modelId: string }, metrics: Record<string, unknown>): Promise<void> {
    await this.dataSource
      .getRepository(TeacherModelEntity)
      .update(
        { id: scope.modelId, partitionId: scope.partitionId, status: 'training' },
        { status: 'failed', metrics: metrics as never },
      );
  }

  /** At boot: trainings a stopped process left behind are marked failed (their weights were never written). */
  async failInterruptedTrainings(): Promise<number> {
    const result = await this.dataSource
      .getRepository(TeacherModelEntity)
      .update({ status: 'training' }, { status: 'failed', metrics: { error: 'interrupted' } as never });
    return result.affected ?? 0;
  }

  /** The current model of each partition of the dataset (the latest, or the ready one), without weights. */
  async latestPerPartition(scope: DatasetScope): Promise<Map<string, TeacherModelEntity>> {
    const rows = await this.dataSource
      .getRepository(TeacherModelEntity)
      .createQueryBuilder('m')
      .innerJoin(PartitionEntity, 'p', 'p.id = m.partitionId')
      .select([
        'm.id',
        'm.partitionId',
        'm.architecture',
        'm.hyperparameters',
        'm.status',
        'm.contentHash',
        'm.metrics',
        'm.createdAt',
        'm.discardedAt',
      ])
      .where('p.datasetName = :datasetName', { datasetName: scope.datasetName })
      .orderBy('m.createdAt', 'ASC')
      .getMany();
    const latest = new Map<string, TeacherModelEntity>();
    for (const row of rows) {
      // A failed retraining does not hide the ready teacher that still answers.
      if (row.status === 'failed' && latest.get(row.partitionId)?.status === 'ready') continue;
      latest.set(row.partitionId, row);
    }
    return latest;
  }

  /** The dataset's ready teachers, ordered by partition name (a stable order for the vote response). */
  async listReady(scope: DatasetScope): Promise<ReadyTeacher[]> {
    const rows: Array<{ modelId: string; partitionId: string; partitionName: string; contentHash: string }> =
      await this.dataSource
        .getRepository(TeacherModelEntity)
        .createQueryBuilder('m')
        .innerJoin(PartitionEntity, 'p', 'p.id = m.partitionId')
        .select('m.id', 'modelId')
        .addSelect('m.partitionId', 'partitionId')
        .addSelect('p.name', 'partitionName')
        .addSelect('m.contentHash', 'contentHash')
        .where('p.datasetName = :datasetName', { datasetName: scope.datasetName })
        .andWhere("m.status = 'ready'")
        .andWhere("p.status <> 'discarded'")
        .orderBy('p.name', 'ASC')
        .getRawMany();
    return rows;
  }

  /** The stored model of ready teachers of the dataset (for the vote cache). */
  async loadReady(scope: DatasetScope & { modelIds: string[] }): Promise<StoredTeacherModel[]> {
    if (scope.modelIds.length === 0) return [];
    const rows = await this.dataSource
      .getRepository(TeacherModelEntity)
      .createQueryBuilder('m')
      .innerJoin(PartitionEntity, 'p', 'p.id = m.partitionId')
      .select(['m.id', 'm.topology', 'm.weights', 'm.contentHash'])
      .where('p.datasetName = :datasetName', { datasetName: scope.datasetName })
      .andWhere('m.id IN (:...ids)', { ids: scope.modelIds })
      .andWhere("m.status = 'ready'")
      .getMany();
    return rows
      .filter((r) => r.weights && r.topology && r.contentHash)
      .map((r) => ({ modelId: r.id, topology: r.topology!, weights: r.weights!, contentHash: r.contentHash! }));
  }
}
