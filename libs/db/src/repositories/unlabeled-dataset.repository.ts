import { Injectable } from '@nestjs/common';
import { Between, DataSource } from 'typeorm';
import {
  UnlabeledDatasetEntity,
  type UnlabeledFormat,
  type UnlabeledPurpose,
} from '../entities/coordinator/unlabeled-dataset.entity.js';
import { UnlabeledRecordEntity } from '../entities/coordinator/unlabeled-record.entity.js';
import { unpackFeatures } from './record-features.codec.js';

/** A record to store: its features, and (evaluation datasets only) the querying party's own class index. */
export type NewUnlabeledRecord = Float32Array | { features: Float32Array; label?: number | null };

/** A stored record as the student reads it. */
export interface StoredRecord {
  ordinal: number;
  features: Float32Array;
  /** Evaluation datasets: the stored label; pool records read for a job: the released label (answered only). */
  label: number | null;
}

const READ_PAGE = 2000;

/** Unlabeled data submitted by querying parties; scoped by the owning party. */
@Injectable()
export class UnlabeledDatasetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a dataset and all its records in one transaction: a failed upload leaves nothing behind.
   * `records` is consumed as it streams; inserts go in batches. An evaluation dataset's records carry labels.
   */
  async createWithRecords(
    input: {
      ownerPartyId: string;
      name: string;
      format: UnlabeledFormat;
      recordSchema: Record<string, unknown>;
      contentHash: () => string;
      /** Default 'pool'. */
      purpose?: UnlabeledPurpose;
      consortiumDatasetId?: string | null;
    },
    records: AsyncIterable<NewUnlabeledRecord>,
  ): Promise<UnlabeledDatasetEntity> {
    return this.dataSource.transaction(async (manager) => {
      const datasets = manager.getRepository(UnlabeledDatasetEntity);
      const dataset = await datasets.save({
        ownerPartyId: input.ownerPartyId,
        consortiumDatasetId: input.consortiumDatasetId ?? null,
        name: input.name,
        purpose: input.purpose ?? 'pool',
        format: input.format,
        recordSchema: input.recordSchema as never,
        recordCount: 0,
        status: 'uploading',
        contentHash: null,
      });
      let batch: Array<{ datasetId: string; ordinal: number; features: Buffer; label: number | null }> = [];
      let ordinal = 0;
      for await (const record of records) {
        const features = record instanceof Float32Array ? record : record.features;
        batch.push({
          datasetId: dataset.id,
          ordinal,
          features: Buffer.from(features.buffer, features.byteOffset, features.byteLength),
          label: record instanceof Float32Array ? null : (record.label ?? null),
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

  /** A party's ready datasets of the consortium dataset, e.g. the evaluation sets a student may use. */
  async listForDataset(scope: {
    consortiumDatasetId: string;
    purpose?: UnlabeledPurpose;
  }): Promise<UnlabeledDatasetEntity[]> {
    return this.dataSource.getRepository(UnlabeledDatasetEntity).find({
      where: {
        consortiumDatasetId: scope.consortiumDatasetId,
        ...(scope.purpose ? { purpose: scope.purpose } : {}),
      },
      order: { createdAt: 'ASC' },
    });
  }

  /** The records of a dataset in order, with their stored labels (evaluation sets), read a page at a time. */
  async *records(datasetId: string): AsyncGenerator<StoredRecord> {
    const dataset = await this.findById(datasetId);
    for (let from = 0; from < (dataset?.recordCount ?? 0); from += READ_PAGE) {
      const rows = await this.dataSource.getRepository(UnlabeledRecordEntity).find({
        where: { datasetId, ordinal: Between(from, from + READ_PAGE - 1) },
        order: { ordinal: 'ASC' },
        select: { ordinal: true, features: true, label: true },
      });
      for (const row of rows) yield { ordinal: row.ordinal, features: unpackFeatures(row.features), label: row.label };
    }
  }

  /**
   * The records of a job's pool dataset in order, each with the label the job released for it: answered queries
   * only (a refused query is not a label; a record the job never asked about has none). The student's data.
   */
  async *recordsWithReleasedLabels(scope: { jobId: string; datasetId: string }): AsyncGenerator<StoredRecord> {
    const dataset = await this.findById(scope.datasetId);
    // Ordinals are 0 … recordCount - 1 (assigned in order at upload): pages are ordinal ranges.
    for (let from = 0; from < (dataset?.recordCount ?? 0); from += READ_PAGE) {
      const rows: Array<{ ordinal: number; features: Buffer; label: unknown }> = await this.dataSource.query(
        `SELECT r."ordinal", r."features", CASE WHEN q."status" = 'answered' THEN q."label" END AS "label"
           FROM "unlabeled_record" r
           LEFT JOIN "query" q ON q."record_id" = r."id" AND q."job_id" = $1
          WHERE r."dataset_id" = $2 AND r."ordinal" >= $3 AND r."ordinal" < $4
          ORDER BY r."ordinal"`,
        [scope.jobId, scope.datasetId, from, from + READ_PAGE],
      );
      for (const row of rows) {
        yield {
          ordinal: row.ordinal,
          features: unpackFeatures(row.features),
          label: typeof row.label === 'number' ? row.label : null,
        };
      }
    }
  }
}
