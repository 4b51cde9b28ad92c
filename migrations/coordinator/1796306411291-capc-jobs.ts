import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CapcJobs1796306411291 implements MigrationInterface {
  name = 'CapcJobs1796306411291';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "capc_batch" ("id" uuid NOT NULL, "job_id" uuid NOT NULL, "first_ordinal" integer NOT NULL, "query_count" integer NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'relaying', "round" integer NOT NULL DEFAULT '0', "teachers" jsonb NOT NULL, "teacher_share_sums" jsonb NOT NULL DEFAULT '{}', "querying_share_sums" bytea, "error_code" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0b7f736bb8c9b37e66fd01535a4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_c0c0de7eb7823741ffbbf01174" ON "capc_batch"  ("status") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_ceccce5c72cd3c75ca93c42b18" ON "capc_batch"  ("job_id", "first_ordinal") `,
    );
    await queryRunner.query(
      `CREATE TABLE "capc_dealer" ("consortium_id" uuid NOT NULL, "url" character varying(500) NOT NULL, "guardian_api_key" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_da3fdaef32f98a210105597ef69" PRIMARY KEY ("consortium_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "capc_job" ("job_id" uuid NOT NULL, "he_parameters" jsonb NOT NULL, "public_key" bytea NOT NULL, "public_key_sha256" character(64) NOT NULL, "extractor" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_68e1a322c74a807d62b563201fe" PRIMARY KEY ("job_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "capc_batch" ADD CONSTRAINT "FK_dcb00b0c6d29e63f19db47147ae" FOREIGN KEY ("job_id") REFERENCES "labeling_job"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "capc_dealer" ADD CONSTRAINT "FK_da3fdaef32f98a210105597ef69" FOREIGN KEY ("consortium_id") REFERENCES "consortium"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "capc_job" ADD CONSTRAINT "FK_68e1a322c74a807d62b563201fe" FOREIGN KEY ("job_id") REFERENCES "labeling_job"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "capc_job" DROP CONSTRAINT "FK_68e1a322c74a807d62b563201fe"`);
    await queryRunner.query(`ALTER TABLE "capc_dealer" DROP CONSTRAINT "FK_da3fdaef32f98a210105597ef69"`);
    await queryRunner.query(`ALTER TABLE "capc_batch" DROP CONSTRAINT "FK_dcb00b0c6d29e63f19db47147ae"`);
    await queryRunner.query(`DROP TABLE "capc_job"`);
    await queryRunner.query(`DROP TABLE "capc_dealer"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ceccce5c72cd3c75ca93c42b18"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c0c0de7eb7823741ffbbf01174"`);
    await queryRunner.query(`DROP TABLE "capc_batch"`);
  }
}
