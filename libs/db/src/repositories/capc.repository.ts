import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { CapcBatchEntity, type CapcBatchTeacher } from '../entities/coordinator/capc-batch.entity.js';
import { CapcDealerEntity } from '../entities/coordinator/capc-dealer.entity.js';
import { CapcJobEntity } from '../entities/coordinator/capc-job.entity.js';
import { LabelingJobEntity, type JobMechanism } from '../entities/coordinator/labeling-job.entity.js';

export interface NewCapcJob {
  ownerPartyId: string;
  consortiumDatasetId: string;
  budgetId: string;
  mechanism: JobMechanism;
  params: Record<string, unknown>;
  queries: number;
  quorum: number;
  heParameters: Record<string, unknown>;
  publicKey: Uint8Array;
  extractor: Record<string, unknown>;
}

export interface CapcQueryRow {
  id: string;
  ordinal: number;
  status: string;
}

/**
 * Confidential (capc) jobs: their HE setup, the batches the coordinator relays, the share sums the guardian
 * reconstructs histograms from, and each consortium's dealer. The querying party uploads no plaintext: a capc
 * job's queries point at placeholder records (purpose 'capc', no features) that only number them.
 */
@Injectable()
export class CapcRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createJob(input: NewCapcJob): Promise<LabelingJobEntity> {
    return this.dataSource.transaction(async (manager) => {
      const [dataset]: Array<{ id: string }> = await manager.query(
        `INSERT INTO "unlabeled_dataset" ("owner_party_id", "consortium_dataset_id", "name", "purpose", "format",
                "record_schema", "record_count", "status")
         VALUES ($1, $2, $3, 'capc', 'capc', '{"capc": true}'::jsonb, $4, 'ready') RETURNING "id"`,
        [input.ownerPartyId, input.consortiumDatasetId, `capc queries (${input.queries})`, input.queries],
      );
      await manager.query(
        `INSERT INTO "unlabeled_record" ("dataset_id", "ordinal", "features")
         SELECT $1, g, ''::bytea FROM generate_series(0, $2 - 1) AS g`,
        [dataset!.id, input.queries],
      );
      const job = await manager.getRepository(LabelingJobEntity).save({
        unlabeledDatasetId: dataset!.id,
        budgetId: input.budgetId,
        requestedByPartyId: input.ownerPartyId,
        mode: 'capc',
        mechanism: input.mechanism,
        params: input.params as never,
        maxQueries: input.queries,
        quorum: input.quorum,
        status: 'queued',
        queriesAnswered: 0,
        queriesRefused: 0,
        errorCode: null,
      });
      await manager.query(
        `INSERT INTO "query" ("job_id", "record_id", "ordinal", "status")
         SELECT $1, "id", "ordinal", 'pending' FROM "unlabeled_record" WHERE "dataset_id" = $2 ORDER BY "ordinal"`,
        [job.id, dataset!.id],
      );
      const publicKey = Buffer.from(input.publicKey);
      await manager.getRepository(CapcJobEntity).insert({
        jobId: job.id,
        heParameters: input.heParameters as never,
        publicKey,
        publicKeySha256: createHash('sha256').update(publicKey).digest('hex'),
        extractor: input.extractor as never,
      });
      return job;
    });
  }

  async findJob(jobId: string): Promise<CapcJobEntity | null> {
    return this.dataSource.getRepository(CapcJobEntity).findOneBy({ jobId });
  }

  async setDealer(consortiumId: string, url: string, guardianApiKey: string): Promise<void> {
    await this.dataSource
      .getRepository(CapcDealerEntity)
      .upsert({ consortiumId, url, guardianApiKey }, ['consortiumId']);
  }

  async dealerFor(consortiumId: string): Promise<{ url: string; guardianApiKey: string } | null> {
    const row = await this.dataSource
      .getRepository(CapcDealerEntity)
      .createQueryBuilder('d')
      .addSelect('d.guardianApiKey')
      .where('d.consortiumId = :consortiumId', { consortiumId })
      .getOne();
    return row ? { url: row.url, guardianApiKey: row.guardianApiKey } : null;
  }

  /** The first ordinal no live batch covers: batches go strictly in order; a failed batch's queries are asked again. */
  async nextOrdinal(jobId: string): Promise<number> {
    const [row]: Array<{ next: number | null }> = await this.dataSource.query(
      `SELECT max("first_ordinal" + "query_count")::int AS next FROM "capc_batch"
        WHERE "job_id" = $1 AND "status" <> 'failed'`,
      [jobId],
    );
    return row?.next ?? 0;
  }

  /** The queries of [first, first + count), in order. */
  async queriesOf(jobId: string, firstOrdinal: number, count: number): Promise<CapcQueryRow[]> {
    return this.dataSource.query(
      `SELECT "id", "ordinal", "status" FROM "query" WHERE "job_id" = $1 AND "ordinal" >= $2 AND "ordinal" < $3
        ORDER BY "ordinal"`,
      [jobId, firstOrdinal, firstOrdinal + count],
    );
  }

  /** False when the id was used before (a replayed batch). */
  async createBatch(batch: {
    id: string;
    jobId: string;
    firstOrdinal: number;
    queryCount: number;
    teachers: CapcBatchTeacher[];
  }): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO "capc_batch" ("id", "job_id", "first_ordinal", "query_count", "teachers", "status", "round")
       VALUES ($1, $2, $3, $4, $5::jsonb, 'relaying', 0) ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
      [batch.id, batch.jobId, batch.firstOrdinal, batch.queryCount, JSON.stringify(batch.teachers)],
    );
    return rows.length === 1;
  }

  async findBatch(scope: { jobId: string; batchId: string }): Promise<CapcBatchEntity | null> {
    return this.dataSource.getRepository(CapcBatchEntity).findOneBy({ id: scope.batchId, jobId: scope.jobId });
  }

  async setBatchTeachers(batchId: string, teachers: CapcBatchTeacher[]): Promise<void> {
    await this.dataSource.getRepository(CapcBatchEntity).update({ id: batchId }, { teachers });
  }

  /** Moves a relaying batch from round `round - 1` to `round`; false when it is elsewhere (replayed or out of order). */
  async claimRound(batchId: string, round: number): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(CapcBatchEntity)
      .update({ id: batchId, round: round - 1, status: 'relaying' }, { round });
    return (result.affected ?? 0) > 0;
  }

  async addTeacherShareSums(batchId: string, partyId: string, shareSums: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE "capc_batch" SET "teacher_share_sums" = "teacher_share_sums" || jsonb_build_object($2::text, $3::text),
              "updated_at" = now() WHERE "id" = $1`,
      [batchId, partyId, shareSums],
    );
  }

  /** Records the querying party's share sums once; the batch is then the guardian's to decide. */
  async setQueryingShareSums(batchId: string, shareSums: Uint8Array): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(CapcBatchEntity)
      .createQueryBuilder()
      .update()
      .set({ queryingShareSums: Buffer.from(shareSums), status: 'shared' })
      .where('id = :batchId AND status = :status AND queryingShareSums IS NULL', { batchId, status: 'relaying' })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async failBatch(batchId: string, errorCode: string): Promise<void> {
    await this.dataSource
      .getRepository(CapcBatchEntity)
      .update({ id: batchId, status: In(['relaying', 'shared']) }, { status: 'failed', errorCode });
  }

  /** Batches whose share sums are all in, in order (guardian). */
  async sharedBatches(jobId: string): Promise<CapcBatchEntity[]> {
    return this.dataSource
      .getRepository(CapcBatchEntity)
      .find({ where: { jobId, status: 'shared' }, order: { firstOrdinal: 'ASC' } });
  }

  async markDecided(batchId: string): Promise<void> {
    await this.dataSource
      .getRepository(CapcBatchEntity)
      .update({ id: batchId, status: 'shared' }, { status: 'decided' });
  }
}
