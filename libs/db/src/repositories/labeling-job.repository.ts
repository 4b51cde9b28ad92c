import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  LabelingJobEntity,
  type JobMechanism,
  type JobMode,
  type JobStatus,
} from '../entities/coordinator/labeling-job.entity.js';
import type { QueryStatus } from '../entities/coordinator/query.entity.js';
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
}

export interface QueryOutcome {
  jobId: string;
  queryId: string;
  status: Exclude<QueryStatus, 'pending'>;
  label: number | number[] | null;
  /** The vote histogram (guardian-only), when teachers voted. */
  histogram?: { counts: number[]; voters: number };
}

/**
 * Labeling jobs and their queries. Query outcomes are written inside the charge transaction.
 *
 * A pate job's queries are the first `maxQueries` records of its unlabeled dataset (ordinals 0 … maxQueries − 1).
 * Their rows are created as the guardian reads them (`nextPending`), not at the job's creation: a query with no row
 * yet is pending, as is one whose row is pending. Once created, a row keeps its id (the ledger's reference) until the
 * query is decided. Confidential (capc) jobs still create every row with the job (CapcRepository); every method here
 * serves both.
 */
@Injectable()
export class LabelingJobRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The job alone: its query rows are created as the guardian reads its batches, so the request that creates the job
   * does not insert (and check the foreign keys of) one row per record before any teacher is asked.
   */
  async create(input: NewLabelingJob): Promise<LabelingJobEntity> {
    const { baselines, ...fields } = input;
    return this.dataSource.getRepository(LabelingJobEntity).save({
      ...fields,
      params: input.params as never,
      baselines: baselines ?? null,
      status: 'queued',
      queriesAnswered: 0,
      queriesRefused: 0,
      errorCode: null,
    });
  }

  /** Interactive-GNMax: the job's baselines, indexed by query ordinal (null when the job has none). */
  async baselines(jobId: string): Promise<number[][] | null> {
    const rows: Array<{ baselines: number[][] | null }> = await this.dataSource.query(
      `SELECT "baselines" FROM "labeling_job" WHERE "id" = $1`,
      [jobId],
    );
    return rows[0]?.baselines ?? null;
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

  /** The job's status alone (checked once per batch by the guardian: cheaper than loading the job). */
  async status(jobId: string): Promise<JobStatus | null> {
    const rows: Array<{ status: JobStatus }> = await this.dataSource.query(
      `SELECT "status" FROM "labeling_job" WHERE "id" = $1`,
      [jobId],
    );
    return rows[0]?.status ?? null;
  }

  /**
   * The job's first `limit` pending queries in ordinal order (with `afterOrdinal`, only those after it), each with
   * its record's features (packed float32), in one statement: the rows of those that have none yet are created
   * (pending) by it, so a query has its id from the moment it is first read, and keeps it — a guardian that dies
   * before charging it reads the same row again. Features are read as bytea, which the server sends in hex:
   * `encode(…, 'base64')` cost the server 4–7× the CPU of hex (256 MNIST records: 21 vs 3 ms on PostgreSQL 15, 24
   * vs 6 ms on the embedded server), and node-postgres decodes hex about as fast (3.6 vs 7.2 ms; 5.7 vs 5.0 ms).
   * A row created meanwhile by another run of the same job (ON CONFLICT) is left to that run.
   */
  async nextPending(
    jobId: string,
    limit: number,
    afterOrdinal?: number,
  ): Promise<Array<PendingQuery & { features: Buffer }>> {
    const rows: Array<{ id: string; record_id: string; ordinal: number; features: Uint8Array }> =
      await this.dataSource.query(
        // The job's records through the (dataset_id, ordinal) index, each with its row if it has one (the
        // (job_id, ordinal) index): the first `limit` that are undecided; the scalar subqueries run once. Features are
        // read last, by primary key, for the rows found and those created (a join of the two CTEs on the ordinal was
        // planned as a nested loop, 256 × 256 comparisons: most of the statement's time on the embedded server).
        `WITH batch AS (
           SELECT r."id" AS "record_id", r."ordinal", q."id" AS "query_id"
             FROM "unlabeled_record" r
             LEFT JOIN "query" q ON q."job_id" = $1 AND q."ordinal" = r."ordinal"
            WHERE r."dataset_id" = (SELECT "unlabeled_dataset_id" FROM "labeling_job" WHERE "id" = $1)
              AND r."ordinal" < (SELECT "max_queries" FROM "labeling_job" WHERE "id" = $1)
              AND r."ordinal" > coalesce($3::integer, -1)
              AND (q."id" IS NULL OR q."status" = 'pending')
            ORDER BY r."ordinal" LIMIT $2),
         created AS (
           INSERT INTO "query" ("job_id", "record_id", "ordinal", "status")
           SELECT $1, "record_id", "ordinal", 'pending' FROM batch WHERE "query_id" IS NULL
           ON CONFLICT ("job_id", "ordinal") DO NOTHING
           RETURNING "id", "record_id", "ordinal")
         SELECT x."id", x."record_id", x."ordinal", r."features"
           FROM (SELECT "query_id" AS "id", "record_id", "ordinal" FROM batch WHERE "query_id" IS NOT NULL
                 UNION ALL SELECT "id", "record_id", "ordinal" FROM created) x
           JOIN "unlabeled_record" r ON r."id" = x."record_id"
          ORDER BY x."ordinal"`,
        [jobId, limit, afterOrdinal ?? null],
      );
    return rows.map((r) => ({
      id: r.id,
      recordId: r.record_id,
      ordinal: r.ordinal,
      // node-postgres gives a Buffer; the in-process PGlite driver a Uint8Array (viewed, not copied).
      features: Buffer.isBuffer(r.features)
        ? r.features
        : Buffer.from(r.features.buffer, r.features.byteOffset, r.features.byteLength),
    }));
  }

  /**
   * Writes the outcomes of several queries of one job in the caller's transaction, in one statement: the queries
   * still pending take their status, label and histogram, and the job's counters move. Returns the ids written (a
   * query that was no longer pending is left as it was).
   */
  async recordOutcomes(
    tx: TransactionContext,
    jobId: string,
    outcomes: ReadonlyArray<Omit<QueryOutcome, 'jobId'>>,
  ): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    // One jsonb parameter for the batch (TypeORM's builders take a parameter per column and row), and one round
    // trip: the counter update reads only what the query update returned (data-modifying CTEs share a snapshot).
    const updated: Array<{ id: string; status: QueryStatus }> = await tx.manager.query(
      `WITH written AS (
         UPDATE "query" q
            SET "status" = o."status", "label" = o."label", "vote_counts" = o."counts", "voters" = o."voters",
                "answered_at" = CASE WHEN o."status" = 'answered' THEN now() ELSE NULL END
           FROM jsonb_to_recordset($2::jsonb) AS o("id" uuid, "status" varchar, "label" jsonb, "counts" jsonb, "voters" integer)
          WHERE q."id" = ANY($3::uuid[]) AND q."id" = o."id" AND q."job_id" = $1 AND q."status" = 'pending'
      RETURNING q."id", q."status"),
       counters AS (
         UPDATE "labeling_job"
            SET "queries_answered" = "queries_answered" + (SELECT count(*) FROM written WHERE "status" = 'answered'),
                "queries_refused" = "queries_refused" + (SELECT count(*) FROM written WHERE "status" <> 'answered'),
                "updated_at" = now()
          WHERE "id" = $1 AND EXISTS (SELECT 1 FROM written))
       SELECT "id", "status" FROM written`,
      [
        jobId,
        JSON.stringify(
          outcomes.map((o) => ({
            id: o.queryId,
            status: o.status,
            label: o.label,
            counts: o.histogram?.counts ?? null,
            voters: o.histogram?.voters ?? null,
          })),
        ),
        // The ids again as an array: the rows are then found through the primary key. Without it the embedded
        // database scanned every query of the job for each batch (a hash join), so batches slowed as jobs grew.
        outcomes.map((o) => o.queryId),
      ],
    );
    return new Set(updated.map((r) => r.id));
  }

  /**
   * Closes every query of a job still undecided with `status` (refused-budget when the budget ran out, failed when the
   * job cannot run), in one statement: pending rows take it, and queries that have no row yet get one with it, so
   * that they are reported the same way. A row being created or decided meanwhile is waited for and then taken only
   * if still pending. Returns how many queries were closed.
   */
  async closePending(jobId: string, status: 'refused-budget' | 'failed'): Promise<number> {
    const rows: Array<{ closed: number }> = await this.dataSource.query(
      `WITH closed AS (
         INSERT INTO "query" ("job_id", "record_id", "ordinal", "status")
         SELECT $1, r."id", r."ordinal", $2 FROM "unlabeled_record" r
          WHERE r."dataset_id" = (SELECT "unlabeled_dataset_id" FROM "labeling_job" WHERE "id" = $1)
            AND r."ordinal" < (SELECT "max_queries" FROM "labeling_job" WHERE "id" = $1)
         ON CONFLICT ("job_id", "ordinal") DO UPDATE SET "status" = excluded."status" WHERE "query"."status" = 'pending'
         RETURNING 1)
       UPDATE "labeling_job"
          SET "queries_refused" = "queries_refused" + (SELECT count(*) FROM closed), "updated_at" = now()
        WHERE "id" = $1 AND EXISTS (SELECT 1 FROM closed)
       RETURNING (SELECT count(*) FROM closed)::integer AS "closed"`,
      [jobId, status],
    );
    return rows[0]?.closed ?? 0;
  }

  /**
   * A page of the job's queries in ordinal order, with their status and released label: a query that has no row yet
   * is pending; a refused one has no label (never guessed).
   */
  async labels(
    jobId: string,
    page: { offset: number; limit: number },
  ): Promise<Array<{ ordinal: number; recordId: string; status: QueryStatus; label: number | number[] | null }>> {
    const rows: Array<{ ordinal: number; record_id: string; status: QueryStatus; label: number | number[] | null }> =
      await this.dataSource.query(
        `SELECT r."ordinal", r."id" AS "record_id", coalesce(q."status", 'pending') AS "status", q."label"
           FROM "unlabeled_record" r
           LEFT JOIN "query" q ON q."job_id" = $1 AND q."ordinal" = r."ordinal"
          WHERE r."dataset_id" = (SELECT "unlabeled_dataset_id" FROM "labeling_job" WHERE "id" = $1)
            AND r."ordinal" < (SELECT "max_queries" FROM "labeling_job" WHERE "id" = $1)
          ORDER BY r."ordinal" OFFSET $2 LIMIT $3`,
        [jobId, page.offset, page.limit],
      );
    return rows.map((r) => ({ ordinal: r.ordinal, recordId: r.record_id, status: r.status, label: r.label }));
  }

  /** The job's queries by status: those decided from their rows; pending, the rest of its `maxQueries`. */
  async countByStatus(jobId: string): Promise<Record<QueryStatus, number>> {
    const rows: Array<{ max_queries: number; status: QueryStatus | null; n: number | null }> =
      await this.dataSource.query(
        `SELECT j."max_queries", s."status", s."n"
           FROM "labeling_job" j
           LEFT JOIN (SELECT "status", count(*)::integer AS "n" FROM "query"
                       WHERE "job_id" = $1 AND "status" <> 'pending' GROUP BY "status") s ON true
          WHERE j."id" = $1`,
        [jobId],
      );
    const counts: Record<QueryStatus, number> = {
      pending: 0,
      answered: 0,
      'refused-threshold': 0,
      'refused-budget': 0,
      failed: 0,
    };
    let decided = 0;
    for (const row of rows) {
      if (row.status === null || row.n === null) continue;
      counts[row.status] = row.n;
      decided += row.n;
    }
    counts.pending = Math.max((rows[0]?.max_queries ?? 0) - decided, 0);
    return counts;
  }

  /** Histograms of a job's queries, in order (guardian only: for recomputing the ledger). */
  async histograms(jobId: string): Promise<Array<{ queryId: string; counts: number[]; voters: number }>> {
    const rows: Array<{ query_id: string; counts: number[]; voters: number }> = await this.dataSource.query(
      `SELECT "id" AS "query_id", "vote_counts" AS "counts", "voters" FROM "query"
        WHERE "job_id" = $1 AND "vote_counts" IS NOT NULL ORDER BY "ordinal"`,
      [jobId],
    );
    return rows.map((r) => ({ queryId: r.query_id, counts: r.counts, voters: r.voters }));
  }
}
