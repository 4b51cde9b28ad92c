import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A query's vote histogram moves into the query's own row (guardian-only columns `vote_counts`, `voters`): the
 * guardian writes it with the same UPDATE that records the outcome, instead of a row in `vote_histogram` with its
 * own two indexes and a foreign-key check per query. Existing histograms are carried over. The ledger's index on
 * `job_id`, which no query used, goes too (four index entries per charge become three).
 */
export class QueryVoteHistogram1796377836122 implements MigrationInterface {
  name = 'QueryVoteHistogram1796377836122';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_f8734fe437d9f17fd0106317f2"`);
    await queryRunner.query(`ALTER TABLE "query" ADD "vote_counts" jsonb`);
    await queryRunner.query(`ALTER TABLE "query" ADD "voters" integer`);
    await queryRunner.query(
      `UPDATE "query" q SET "vote_counts" = h."counts", "voters" = h."voters" FROM "vote_histogram" h WHERE h."query_id" = q."id"`,
    );
    await queryRunner.query(`DROP TABLE "vote_histogram"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "vote_histogram" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "query_id" uuid NOT NULL, "counts" jsonb NOT NULL, "voters" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_24e03c103b1e1c7e9bad1abae07" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_8baf20cb257f95573aedfa9b31" ON "vote_histogram" ("query_id") `);
    await queryRunner.query(
      `ALTER TABLE "vote_histogram" ADD CONSTRAINT "FK_8baf20cb257f95573aedfa9b31e" FOREIGN KEY ("query_id") REFERENCES "query"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `INSERT INTO "vote_histogram" ("query_id", "counts", "voters") SELECT "id", "vote_counts", "voters" FROM "query" WHERE "vote_counts" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "query" DROP COLUMN "voters"`);
    await queryRunner.query(`ALTER TABLE "query" DROP COLUMN "vote_counts"`);
    await queryRunner.query(`CREATE INDEX "IDX_f8734fe437d9f17fd0106317f2" ON "ledger_entry" USING btree ("job_id") `);
  }
}
