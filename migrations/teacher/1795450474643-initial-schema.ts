import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795450474643 implements MigrationInterface {
  name = 'InitialSchema1795450474643';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "prefix" character varying(12) NOT NULL, "secret_hash" character(64) NOT NULL, "role" character varying(32) NOT NULL, "party_id" uuid, "label" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c4f6ccad30c0862eb54af9fb0a" ON "api_key"  ("prefix") `);
    await queryRunner.query(`CREATE INDEX "IDX_dabf759bb33a03db3d2a5a35c4" ON "api_key"  ("party_id") `);
    await queryRunner.query(`CREATE TABLE "discard_record" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "dataset_name" character varying(200) NOT NULL, "models_deleted" integer NOT NULL, "deleted_model_hashes" jsonb NOT NULL, "data_deleted" boolean NOT NULL DEFAULT false, "requested_by_key_id" uuid, "requested_by_role" character varying(32), "reason" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0cc5f17f265c44436b8ec767a53" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_bb1470b5020007fe0e8eb571d9" ON "discard_record"  ("dataset_name") `);
    await queryRunner.query(`CREATE TABLE "partition" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "dataset_name" character varying(200) NOT NULL, "name" character varying(200) NOT NULL, "record_schema" jsonb NOT NULL, "record_count" integer NOT NULL DEFAULT '0', "status" character varying(16) NOT NULL DEFAULT 'loading', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3fa6dcf0fc76a1b6709aa9d1623" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_a2912d83a9a7f0cd187be72f76" ON "partition"  ("dataset_name") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_0dbae2adaffe2098b16db06ccc" ON "partition"  ("dataset_name", "name") `);
    await queryRunner.query(`CREATE TABLE "private_record" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partition_id" uuid NOT NULL, "ordinal" integer NOT NULL, "features" bytea NOT NULL, "label" jsonb NOT NULL, CONSTRAINT "PK_51fad02a19f13afbd9e2a3a12c5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_0a7c89fe5f1ef852034a4302bf" ON "private_record"  ("partition_id", "ordinal") `);
    await queryRunner.query(`CREATE TABLE "teacher_model" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partition_id" uuid NOT NULL, "architecture" character varying(32) NOT NULL, "hyperparameters" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'training', "weights" bytea, "topology" jsonb, "content_hash" character(64), "metrics" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "discarded_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6d842fed40beeb8ff40de96605a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_d59bcd030e741d6d3adf01ab6f" ON "teacher_model"  ("partition_id") `);
    await queryRunner.query(`ALTER TABLE "private_record" ADD CONSTRAINT "FK_b0eb2888d6306ca7b9bad3f4adb" FOREIGN KEY ("partition_id") REFERENCES "partition"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "teacher_model" ADD CONSTRAINT "FK_d59bcd030e741d6d3adf01ab6f3" FOREIGN KEY ("partition_id") REFERENCES "partition"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teacher_model" DROP CONSTRAINT "FK_d59bcd030e741d6d3adf01ab6f3"`);
    await queryRunner.query(`ALTER TABLE "private_record" DROP CONSTRAINT "FK_b0eb2888d6306ca7b9bad3f4adb"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d59bcd030e741d6d3adf01ab6f"`);
    await queryRunner.query(`DROP TABLE "teacher_model"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_0a7c89fe5f1ef852034a4302bf"`);
    await queryRunner.query(`DROP TABLE "private_record"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_0dbae2adaffe2098b16db06ccc"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a2912d83a9a7f0cd187be72f76"`);
    await queryRunner.query(`DROP TABLE "partition"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bb1470b5020007fe0e8eb571d9"`);
    await queryRunner.query(`DROP TABLE "discard_record"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_dabf759bb33a03db3d2a5a35c4"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c4f6ccad30c0862eb54af9fb0a"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
  }
}
