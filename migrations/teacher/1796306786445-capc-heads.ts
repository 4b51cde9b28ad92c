import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CapcHeads1796306786445 implements MigrationInterface {
  name = 'CapcHeads1796306786445';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "capc_head" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partition_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "extractor_id" character varying(100) NOT NULL, "classes" integer NOT NULL, "dimension" integer NOT NULL, "hidden_units" integer, "parameters" bytea NOT NULL, "content_hash" character(64) NOT NULL, "metrics" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e5c4143d5e6cc72025403edb6a2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_98905bf9116903184401828eef" ON "capc_head"  ("partition_id", "kind") `,
    );
    await queryRunner.query(
      `ALTER TABLE "capc_head" ADD CONSTRAINT "FK_bedf6eddf90454f74c2d4b858dd" FOREIGN KEY ("partition_id") REFERENCES "partition"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "capc_head" DROP CONSTRAINT "FK_bedf6eddf90454f74c2d4b858dd"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_98905bf9116903184401828eef"`);
    await queryRunner.query(`DROP TABLE "capc_head"`);
  }
}
