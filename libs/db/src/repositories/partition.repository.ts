import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { DomainError } from '@conclave/common';
import { PartitionEntity } from '../entities/teacher/partition.entity.js';
import { PrivateRecordEntity } from '../entities/teacher/private-record.entity.js';
import { packFeatures, unpackFeatures } from './record-features.codec.js';

/** Scopes every query on an owner's data to one partition, or to one dataset of partitions. */
export interface PartitionScope {
  readonly partitionId: string;
}
export interface DatasetScope {
  readonly datasetName: string;
}

/** A private record as it is stored: features in the schema's layout and its label. */
export interface PrivateRecordInput {
  features: Float32Array;
  /** A class index, or the positive classes of a multi-label record. */
  label: number | number[];
}

/** Rows per INSERT statement: 4 parameters per row stays far below PostgreSQL's 65,535. */
const INSERT_BATCH = 500;

/** The data owner's partitions and the private records they hold. Records are written and read here only. */
@Injectable()
export class PartitionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(
    scope: DatasetScope,
    input: { name: string; recordSchema: Record<string, unknown> },
  ): Promise<PartitionEntity> {
    try {
      return await this.dataSource.getRepository(PartitionEntity).save({
        datasetName: scope.datasetName,
        name: input.name,
        // jsonb: TypeORM's deep-partial typing does not model free-form objects.
        recordSchema: input.recordSchema as never,
        recordCount: 0,
        status: 'loading' as const,
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new DomainError('CONFLICT', `The dataset already has a partition named '${input.name}'`);
      }
      throw error;
    }
  }

  async list(scope: DatasetScope): Promise<PartitionEntity[]> {
    return this.dataSource
      .getRepository(PartitionEntity)
      .find({ where: { datasetName: scope.datasetName }, order: { createdAt: 'ASC', name: 'ASC' } });
  }

  async findByName(scope: DatasetScope, name: string): Promise<PartitionEntity | null> {
    return this.dataSource.getRepository(PartitionEntity).findOneBy({ datasetName: scope.datasetName, name });
  }

  async find(scope: DatasetScope & PartitionScope): Promise<PartitionEntity | null> {
    return this.dataSource
      .getRepository(PartitionEntity)
      .findOneBy({ datasetName: scope.datasetName, id: scope.partitionId });
  }

  /** The datasets this service holds partitions of. */
  async datasetNames(): Promise<string[]> {
    const rows: Array<{ datasetName: string }> = await this.dataSource
      .getRepository(PartitionEntity)
      .createQueryBuilder('p')
      .select('p.datasetName', 'datasetName')
      .distinct(true)
      .orderBy('p.datasetName', 'ASC')
      .getRawMany();
    return rows.map((r) => r.datasetName);
  }

  /**
   * Appends records to a partition, all or nothing: one transaction holds the partition's row lock, inserts
   * the records in batches as `records` yields them, and commits only when the source is exhausted. If the
   * source throws (a bad row, a size limit), the transaction rolls back and no record of this load remains.
   * `check(partition)` runs under the lock before anything is written (e.g. to refuse a discarded partition).
   */
  async appendRecords(
    scope: PartitionScope,
    records: AsyncIterable<PrivateRecordInput>,
    check: (partition: PartitionEntity) => void = () => undefined,
  ): Promise<{ appended: number; recordCount: number }> {
    return this.dataSource.transaction(async (manager) => {
      const partition = await lockPartition(manager, scope.partitionId);
      check(partition);
      let ordinal = partition.recordCount;
      let batch: Array<Pick<PrivateRecordEntity, 'partitionId' | 'ordinal' | 'features' | 'label'>> = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await manager
          .createQueryBuilder()
          .insert()
          .into(PrivateRecordEntity)
          .values(batch as never)
          .updateEntity(false)
          .execute();
        batch = [];
      };
      for await (const record of records) {
        batch.push({
          partitionId: partition.id,
          ordinal,
          features: packFeatures(record.features),
          label: record.label,
        });
        ordinal += 1;
        if (batch.length >= INSERT_BATCH) await flush();
      }
      await flush();
      const appended = ordinal - partition.recordCount;
      await manager
        .getRepository(PartitionEntity)
        .update({ id: partition.id }, { recordCount: ordinal, status: ordinal > 0 ? 'ready' : partition.status });
      return { appended, recordCount: ordinal };
    });
  }

  /** Every record of a partition, in load order (for training; never returned by any route). */
  async loadRecords(scope: PartitionScope): Promise<PrivateRecordInput[]> {
    const rows = await this.dataSource.getRepository(PrivateRecordEntity).find({
      select: { features: true, label: true, ordinal: true },
      where: { partitionId: scope.partitionId },
      order: { ordinal: 'ASC' },
    });
    return rows.map((r) => ({ features: unpackFeatures(r.features), label: r.label }));
  }

  /** How many records are stored for the partition (counted, not taken from the partition row). */
  async countRecords(scope: PartitionScope): Promise<number> {
    return this.dataSource.getRepository(PrivateRecordEntity).countBy({ partitionId: scope.partitionId });
  }
}

/** SELECT … FOR UPDATE of one partition: loads, trainings and discards of it queue here. */
export async function lockPartition(manager: EntityManager, partitionId: string): Promise<PartitionEntity> {
  const partition = await manager
    .getRepository(PartitionEntity)
    .findOne({ where: { id: partitionId }, lock: { mode: 'pessimistic_write' } });
  if (!partition) throw new DomainError('PARTITION_NOT_FOUND', 'No such partition');
  return partition;
}
