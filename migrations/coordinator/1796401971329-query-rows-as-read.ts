import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pate job's query rows are created as the guardian reads its batches instead of all at the job's creation (the
 * 1,000-row INSERT was most of the request that creates a job, before any teacher works). Interactive-GNMax baselines,
 * until now written into each query row at creation, move to one jsonb array on the job (`labeling_job.baselines`,
 * indexed by ordinal); existing ones are carried over. Existing jobs keep their rows, which the new code reads as is.
 * Down puts the baselines back into the query rows and creates the rows a job does not have yet (pending), as the
 * earlier code expects one row per query.
 */
export class QueryRowsAsRead1796401971329 implements MigrationInterface {
  name = 'QueryRowsAsRead1796401971329';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "labeling_job" ADD "baselines" jsonb`);
    // A job's rows are its ordinals 0 … n − 1, so the array's position is the ordinal.
    await queryRunner.query(
      `UPDATE "labeling_job" j SET "baselines" = b."baselines"
         FROM (SELECT "job_id", jsonb_agg("baseline" ORDER BY "ordinal") AS "baselines" FROM "query"
                GROUP BY "job_id" HAVING bool_or("baseline" IS NOT NULL)) b
        WHERE b."job_id" = j."id"`,
    );
    await queryRunner.query(`ALTER TABLE "query" DROP COLUMN "baseline"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "query" ADD "baseline" jsonb`);
    await queryRunner.query(
      `UPDATE "query" q SET "baseline" = j."baselines" -> q."ordinal"
         FROM "labeling_job" j WHERE j."id" = q."job_id" AND j."baselines" IS NOT NULL`,
    );
    await queryRunner.query(
      `INSERT INTO "query" ("job_id", "record_id", "ordinal", "status", "baseline")
       SELECT j."id", r."id", r."ordinal", 'pending', j."baselines" -> r."ordinal"
         FROM "labeling_job" j
         JOIN "unlabeled_record" r ON r."dataset_id" = j."unlabeled_dataset_id" AND r."ordinal" < j."max_queries"
       ON CONFLICT ("job_id", "ordinal") DO NOTHING`,
    );
    await queryRunner.query(`ALTER TABLE "labeling_job" DROP COLUMN "baselines"`);
  }
}
