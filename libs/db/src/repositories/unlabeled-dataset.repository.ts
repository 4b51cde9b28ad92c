import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { UnlabeledDatasetEntity, type UnlabeledFormat } from '../entities/coordinator/unlabeled-dataset.entity.js';
import { UnlabeledRecordEntity } from '../entities/coordinator/unlabeled-record.entity.js';

/** Unlabeled data submitted by querying parties; scoped by the owning party. */
@Injectable()
export class UnlabeledDatasetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a dataset and all its records in one transaction: a failed upload leaves nothing behind.
   * `records` is consumed as it streams; inserts go in batches.
   */
  async createWithRecords(
    input: {
      ownerPartyId: string;
      name: string;
      format: UnlabeledFormat;
      recordSchema: Record<string, unknown>;
      contentHash: () => string;
    },
    records: AsyncIterable<Float32Array>,
  ): Promise<UnlabeledDatasetEntity> {
    return this.dataSource.transaction(async (manager) => {
      const datasets = manager.getRepository(UnlabeledDatasetEntity);
      const dataset = await datasets.save({
        ownerPartyId: input.ownerPartyId,
        name: input.name,
        format: input.format,
        recordSchema: input.recordSchema as never,
        recordCount: 0,
        status: 'uploading',
        contentHash: null,
      });
      let batch: Array<{ datasetId: string; ordinal: number; features: Buffer }> = [];
      let ordinal = 0;
      for await (const features of records) {
        batch.push({
          datasetId: dataset.id,
          ordinal,
          features: Buffer.from(features.buffer, features.byteOffset, features.byteLength),
        });
        ordinal += 1;
        if (batch.length === 500) {
          await manager.getRepository(UnlabeledRecordEntity).insert(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await manager.getRepository(UnlabeledRecordEntity).insert(batch);
      const contentHash = input.contentHash(); // known only once the whole stream was read
      await datasets.update({ id: dataset.id }, { recordCount: ordinal, status: 'ready', contentHash });
      return { ...dataset, recordCount: ordinal, status: 'ready', contentHash };
    });
  }

  async findForOwner(scope: { ownerPartyId: string; datasetId: string }): Promise<UnlabeledDatasetEntity | null> {
    return this.dataSource
      .getRepository(UnlabeledDatasetEntity)
      .findOneBy({ id: scope.datasetId, ownerPartyId: scope.ownerPartyId });
  }

  async findById(datasetId: string): Promise<UnlabeledDatasetEntity | null> {
    return this.dataSource.getRepository(UnlabeledDatasetEntity).findOneBy({ id: datasetId });
  }

  async listForOwner(ownerPartyId: string): Promise<UnlabeledDatasetEntity[]> {
    return this.dataSource
      .getRepository(UnlabeledDatasetEntity)
      .find({ where: { ownerPartyId }, order: { createdAt: 'ASC' } });
  }

  /** Features of the given records (guardian only). */
  async features(recordIds: string[]): Promise<Map<string, Buffer>> {
    if (recordIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(UnlabeledRecordEntity)
      .find({ where: { id: In(recordIds) }, select: { id: true, features: true } });
    return new Map(rows.map((r) => [r.id, r.features]));
  }
}
