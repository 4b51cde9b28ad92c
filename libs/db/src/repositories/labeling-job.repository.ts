import { Injectable } from '@nestjs/common';
import { DataSource, In, MoreThan } from 'typeorm';
import {
  LabelingJobEntity,
  type JobMechanism,
  type JobMode,
  type JobStatus,
} from '../entities/coordinator/labeling-job.entity.js';
import { QueryEntity, type QueryStatus } from '../entities/coordinator/query.entity.js';
import type { TransactionContext } from './privacy-budget.repository.js';

export interface NewLabelingJob {
  unlabeledDatasetId: string;
  budgetId: string;
  requestedByPartyId: string;
  mode: JobMode;
  mechanism: JobMechanism;
  params: Record<string, unknown>;
  maxQueries: number;
  quorum: number;
  /** Interactive-GNMax: one student baseline per query, in record order. */
  baselines?: number[][];
}

export interface PendingQuery {
  id: string;
  recordId: string;
  ordinal: number;
  baseline: number[] | null;
}

export interface QueryOutcome {
  jobId: string;
  queryId: string;
  status: Exclude<QueryStatus, 'pending'>;
  label: number | number[] | null;
  /** The vote histogram (guardian-only), when teachers voted. */
  histogram?: { counts: number[]; voters: number };
}

/** Labeling jobs and their queries. Query outcomes are written inside the charge transaction. */
@Injectable()
export class LabelingJobRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The job and one pending query per record (the first `maxQueries` records, in order). */
  async createWithQueries(input: NewLabelingJob): Promise<LabelingJobEntity> {
    const { baselines, ...fields } = input;
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(LabelingJobEntity).save({
        ...fields,
        params: input.params as never,
        status: 'queued',
        queriesAnswered: 0,
        queriesRefused: 0,
        errorCode: null,
      });
      await manager.query(
        `INSERT INTO "query" ("job_id", "record_id", "ordinal", "status")
         SELECT $1, "id", "ordinal", 'pending' FROM "unlabeled_record"
          WHERE "dataset_id" = $2 ORDER BY "ordinal" LIMIT $3`,
        [job.id, input.unlabeledDatasetId, input.maxQueries],
      );
      if (baselines) {
        await manager.query(
          `UPDATE "query" q SET "baseline" = b."value"
             FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS b("value", "position")
            WHERE q."job_id" = $1 AND q."ordinal" = b."position" - 1`,
          [job.id, JSON.stringify(baselines)],
        );
      }
      return job;
    });
  }

  async findById(jobId: string): Promise<LabelingJobEntity | null> {
    return this.dataSource.getRepository(LabelingJobEntity).findOneBy({ id: jobId });
  }

  async findForParty(scope: { partyId: string; jobId: string }): Promise<LabelingJobEntity | null> {
    return this.dataSource
      .getRepository(LabelingJobEntity)
      .findOneBy({ id: scope.jobId, requestedByPartyId: scope.partyId });
  }

  /** Moves a job to `to` only from one of `from`; false when it was in another state. */
  async transition(jobId: string, from: JobStatus[], to: JobStatus, errorCode: string | null = null): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(LabelingJobEntity)
      .update({ id: jobId, status: In(from) }, { status: to, errorCode });
    return (result.affected ?? 0) > 0;
  }

  /** The job's first `limit` pending queries in ordinal order; with `afterOrdinal`, only those after it. */
  async nextPending(jobId: string, limit: number, afterOrdinal?: number): Promise<PendingQuery[]> {
    return this.dataSource.getRepository(QueryEntity).find({
      where: { jobId, status: 'pending', ...(afterOrdinal !== undefined ? { ordinal: MoreThan(afterOrdinal) } : {}) },
      order: { ordinal: 'ASC' },
      take: limit,
      select: { id: true, recordId: true, ordinal: true, baseline: true },
    });
  }

  /**
   * Writes the outcomes of several queries of one job in the caller's transaction, one statement per table: the
   * queries still pending take their status and label, their histograms are stored, the job's counters move.
   * Returns the ids written (a query that was no longer pending is left as it was).
   */
  async recordOutcomes(
    tx: TransactionContext,
    jobId: string,
    outcomes: ReadonlyArray<Omit<QueryOutcome, 'jobId'>>,
  ): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const updated: Array<{ id: string; status: QueryStatus }> = await tx.manager.query(
      `WITH written AS (
         UPDATE "query" q
            SET "status" = o."status", "label" = o."label",
                "answered_at" = CASE WHEN o."status" = 'answered' THEN now() ELSE NULL END
           FROM jsonb_to_recordset($2::jsonb) AS o("id" uuid, "status" varchar, "label" jsonb)
          WHERE q."id" = ANY($3::uuid[]) AND q."id" = o."id" AND q."job_id" = $1 AND q."status" = 'pending'
      RETURNING q."id", q."status")
       SELECT "id", "status" FROM written`,
      [
        jobId,
        JSON.stringify(outcomes.map((o) => ({ id: o.queryId, status: o.status, label: o.label }))),
        // The ids again as an array: the rows are then found through the primary key. Without it the embedded
        // database scanned every query of the job for each batch (a hash join), so batches slowed as jobs grew.
        outcomes.map((o) => o.queryId),
      ],
    );
    const written = new Set(updated.map((r) => r.id));
    const histograms = outcomes.filter((o) => o.histogram && written.has(o.queryId));
    if (histograms.length > 0) {
      // One jsonb parameter rather than TypeORM's multi-row INSERT (a parameter per column and row).
      await tx.manager.query(
        `INSERT INTO "vote_histogram" ("query_id", "counts", "voters")
         SELECT h."query_id", h."counts", h."voters"
           FROM jsonb_to_recordset($1::jsonb) AS h("query_id" uuid, "counts" jsonb, "voters" integer)`,
        [
          JSON.stringify(
            histograms.map((o) => ({ query_id: o.queryId, counts: o.histogram!.counts, voters: o.histogram!.voters })),
          ),
        ],
      );
    }
    const answered = updated.filter((r) => r.status === 'answered').length;
    if (written.size > 0) {
      await tx.manager.query(
        `UPDATE "labeling_job" SET "queries_answered" = "queries_answered" + $2,
                "queries_refused" = "queries_refused" + $3, "updated_at" = now() WHERE "id" = $1`,
        [jobId, answered, written.size - answered],
      );
    }
    return written;
  }

  /** Marks every still-pending query of a job with `status` (e.g. refused-budget when the budget ran out). */
  async closePending(jobId: string, status: 'refused-budget' | 'failed'): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.getRepository(QueryEntity).update({ jobId, status: 'pending' }, { status });
      const closed = result.affected ?? 0;
      if (closed > 0) {
        await manager.query(
          `UPDATE "labeling_job" SET "queries_refused" = "queries_refused" + $2, "updated_at" = now() WHERE "id" = $1`,
          [jobId, closed],
        );
      }
      return closed;
    });
  }

  async labels(
    jobId: string,
    page: { offset: number; limit: number },
  ): Promise<Array<{ ordinal: number; recordId: string; status: QueryStatus; label: number | number[] | null }>> {
    const rows = await this.dataSource.getRepository(QueryEntity).find({
      where: { jobId },
      order: { ordinal: 'ASC' },
      skip: page.offset,
      take: page.limit,
      select: { ordinal: true, recordId: true, status: true, label: true },
    });
    return rows.map((r) => ({ ordinal: r.ordinal, recordId: r.recordId, status: r.status, label: r.label }));
  }

  async countByStatus(jobId: string): Promise<Record<QueryStatus, number>> {
    const rows: Array<{ status: QueryStatus; n: string }> = await this.dataSource.query(
      `SELECT "status", count(*)::text AS n FROM "query" WHERE "job_id" = $1 GROUP BY "status"`,
      [jobId],
    );
    const counts: Record<QueryStatus, number> = {
      pending: 0,
      answered: 0,
      'refused-threshold': 0,
      'refused-budget': 0,
      failed: 0,
    };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /** Histograms of a job's queries, in order (guardian only: for recomputing the ledger). */
  async histograms(jobId: string): Promise<Array<{ queryId: string; counts: number[]; voters: number }>> {
    const rows: Array<{ query_id: string; counts: number[]; voters: number }> = await this.dataSource.query(
      `SELECT h."query_id", h."counts", h."voters" FROM "vote_histogram" h JOIN "query" q ON q."id" = h."query_id"
        WHERE q."job_id" = $1 ORDER BY q."ordinal"`,
      [jobId],
    );
    return rows.map((r) => ({ queryId: r.query_id, counts: r.counts, voters: r.voters }));
  }
}
