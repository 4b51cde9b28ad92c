import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795450470524 implements MigrationInterface {
  name = 'InitialSchema1795450470524';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "prefix" character varying(12) NOT NULL, "secret_hash" character(64) NOT NULL, "role" character varying(32) NOT NULL, "party_id" uuid, "label" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c4f6ccad30c0862eb54af9fb0a" ON "api_key"  ("prefix") `);
    await queryRunner.query(`CREATE INDEX "IDX_dabf759bb33a03db3d2a5a35c4" ON "api_key"  ("party_id") `);
    await queryRunner.query(`CREATE TABLE "audit_event" ("id" BIGSERIAL NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_key_id" uuid, "actor_role" character varying(32), "action" character varying(64) NOT NULL, "target_type" character varying(64), "target_id" character varying(200), "details" jsonb NOT NULL, "correlation_id" character varying(64), CONSTRAINT "PK_481efbe8b0a403efe3f47a6528f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_06d570d7d1b40fbc994b5955be" ON "audit_event"  ("at") `);
    await queryRunner.query(`CREATE INDEX "IDX_45452915f68f5a171bc4107b9e" ON "audit_event"  ("action") `);
    await queryRunner.query(`CREATE TABLE "consortium" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_d4a86123865a0d0526df0338e99" UNIQUE ("name"), CONSTRAINT "PK_4824052d8c31b96eb2205e803cb" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "consortium_dataset" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consortium_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "num_classes" integer NOT NULL, "label_kind" character varying(16) NOT NULL DEFAULT 'single-label', "record_schema" jsonb NOT NULL, "teachers_discarded_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5a94f7629e6fab9b253f88e0da0" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_d49848915917829b6d8fa60917" ON "consortium_dataset"  ("consortium_id", "name") `);
    await queryRunner.query(`CREATE TABLE "party" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consortium_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "kind" character varying(32) NOT NULL, "teacher_service_url" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e6189b3d533e140bb33a6d2cec1" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_98adb5de2141e3dd59abab99a8" ON "party"  ("consortium_id", "name") `);
    await queryRunner.query(`CREATE TABLE "privacy_budget" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consortium_dataset_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "epsilon_limit" double precision NOT NULL, "delta" double precision NOT NULL, "conversion" character varying(16) NOT NULL DEFAULT 'improved', "orders" jsonb NOT NULL, "rdp_spent" jsonb NOT NULL, "entries" integer NOT NULL DEFAULT '0', "version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f1a7a275a46f8fb893fd5e71ece" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "unlabeled_dataset" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_party_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "format" character varying(16) NOT NULL, "record_schema" jsonb NOT NULL, "record_count" integer NOT NULL DEFAULT '0', "status" character varying(16) NOT NULL DEFAULT 'uploading', "content_hash" character(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cd042c2266ec1b2bac4d3c9af47" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "labeling_job" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "unlabeled_dataset_id" uuid NOT NULL, "budget_id" uuid NOT NULL, "requested_by_party_id" uuid NOT NULL, "mode" character varying(8) NOT NULL DEFAULT 'pate', "mechanism" character varying(32) NOT NULL, "params" jsonb NOT NULL, "max_queries" integer NOT NULL, "quorum" integer NOT NULL DEFAULT '1', "status" character varying(24) NOT NULL DEFAULT 'queued', "queries_answered" integer NOT NULL DEFAULT '0', "queries_refused" integer NOT NULL DEFAULT '0', "error_code" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5265eb92c5d7807c2fdac1cc739" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_83df68127e01ba01018c755714" ON "labeling_job"  ("unlabeled_dataset_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_be6eb1b634fd4e93642501fcc2" ON "labeling_job"  ("budget_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_9af8bb95ea6dfe0fe3d54851aa" ON "labeling_job"  ("status") `);
    await queryRunner.query(`CREATE TABLE "ledger_entry" ("id" BIGSERIAL NOT NULL, "budget_id" uuid NOT NULL, "sequence" integer NOT NULL, "job_id" uuid, "query_id" uuid, "event" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_04e9d274911f909a5848a15cd74" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_f8734fe437d9f17fd0106317f2" ON "ledger_entry"  ("job_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_81acc14ff49ac2ed3e7a36be1b" ON "ledger_entry"  ("query_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_06e26bed07c216df75f8782aec" ON "ledger_entry"  ("budget_id", "sequence") `);
    await queryRunner.query(`CREATE TABLE "unlabeled_record" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "dataset_id" uuid NOT NULL, "ordinal" integer NOT NULL, "features" bytea NOT NULL, CONSTRAINT "PK_f6c3a00fb790966bf104a91589c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_bb860be5b85f72168ada903b76" ON "unlabeled_record"  ("dataset_id", "ordinal") `);
    await queryRunner.query(`CREATE TABLE "query" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job_id" uuid NOT NULL, "record_id" uuid NOT NULL, "ordinal" integer NOT NULL, "status" character varying(24) NOT NULL DEFAULT 'pending', "label" jsonb, "answered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_be23114e9d505264e2fdd227537" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_8e3e14451236424c9901953021" ON "query"  ("job_id", "ordinal") `);
    await queryRunner.query(`CREATE TABLE "student_model" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consortium_dataset_id" uuid NOT NULL, "job_id" uuid, "version" integer NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'training', "artifact_path" character varying(500), "content_hash" character(64), "model_card" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "accepted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_27dc686c988dae05e4715b42a24" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_a4079a04f4a29a34ebad59f024" ON "student_model"  ("consortium_dataset_id", "version") `);
    await queryRunner.query(`CREATE TABLE "vote_histogram" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "query_id" uuid NOT NULL, "counts" jsonb NOT NULL, "voters" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_24e03c103b1e1c7e9bad1abae07" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_8baf20cb257f95573aedfa9b31" ON "vote_histogram"  ("query_id") `);
    await queryRunner.query(`ALTER TABLE "consortium_dataset" ADD CONSTRAINT "FK_31c9b3ad61efee07a207ded26fc" FOREIGN KEY ("consortium_id") REFERENCES "consortium"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "party" ADD CONSTRAINT "FK_1928d2b47619c72542c2dcc7c47" FOREIGN KEY ("consortium_id") REFERENCES "consortium"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "privacy_budget" ADD CONSTRAINT "FK_310101b16447ca6c228a53536f2" FOREIGN KEY ("consortium_dataset_id") REFERENCES "consortium_dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" ADD CONSTRAINT "FK_4a47d9264db32e60e4445231ab3" FOREIGN KEY ("owner_party_id") REFERENCES "party"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "labeling_job" ADD CONSTRAINT "FK_83df68127e01ba01018c755714a" FOREIGN KEY ("unlabeled_dataset_id") REFERENCES "unlabeled_dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "labeling_job" ADD CONSTRAINT "FK_be6eb1b634fd4e93642501fcc26" FOREIGN KEY ("budget_id") REFERENCES "privacy_budget"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "labeling_job" ADD CONSTRAINT "FK_1b5b577b404c3f0d1aa1f196add" FOREIGN KEY ("requested_by_party_id") REFERENCES "party"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "ledger_entry" ADD CONSTRAINT "FK_b535fd4ab1c079325acf836c5b3" FOREIGN KEY ("budget_id") REFERENCES "privacy_budget"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "unlabeled_record" ADD CONSTRAINT "FK_88972627b20fe9f61711af19c1a" FOREIGN KEY ("dataset_id") REFERENCES "unlabeled_dataset"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "query" ADD CONSTRAINT "FK_e302ec4399d9ee32c24f93c515e" FOREIGN KEY ("job_id") REFERENCES "labeling_job"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "query" ADD CONSTRAINT "FK_55e9712c398d4f19820d22fb00d" FOREIGN KEY ("record_id") REFERENCES "unlabeled_record"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD CONSTRAINT "FK_7358aa537ecb288204330db435a" FOREIGN KEY ("consortium_dataset_id") REFERENCES "consortium_dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "vote_histogram" ADD CONSTRAINT "FK_8baf20cb257f95573aedfa9b31e" FOREIGN KEY ("query_id") REFERENCES "query"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "vote_histogram" DROP CONSTRAINT "FK_8baf20cb257f95573aedfa9b31e"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP CONSTRAINT "FK_7358aa537ecb288204330db435a"`);
    await queryRunner.query(`ALTER TABLE "query" DROP CONSTRAINT "FK_55e9712c398d4f19820d22fb00d"`);
    await queryRunner.query(`ALTER TABLE "query" DROP CONSTRAINT "FK_e302ec4399d9ee32c24f93c515e"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_record" DROP CONSTRAINT "FK_88972627b20fe9f61711af19c1a"`);
    await queryRunner.query(`ALTER TABLE "ledger_entry" DROP CONSTRAINT "FK_b535fd4ab1c079325acf836c5b3"`);
    await queryRunner.query(`ALTER TABLE "labeling_job" DROP CONSTRAINT "FK_1b5b577b404c3f0d1aa1f196add"`);
    await queryRunner.query(`ALTER TABLE "labeling_job" DROP CONSTRAINT "FK_be6eb1b634fd4e93642501fcc26"`);
    await queryRunner.query(`ALTER TABLE "labeling_job" DROP CONSTRAINT "FK_83df68127e01ba01018c755714a"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" DROP CONSTRAINT "FK_4a47d9264db32e60e4445231ab3"`);
    await queryRunner.query(`ALTER TABLE "privacy_budget" DROP CONSTRAINT "FK_310101b16447ca6c228a53536f2"`);
    await queryRunner.query(`ALTER TABLE "party" DROP CONSTRAINT "FK_1928d2b47619c72542c2dcc7c47"`);
    await queryRunner.query(`ALTER TABLE "consortium_dataset" DROP CONSTRAINT "FK_31c9b3ad61efee07a207ded26fc"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8baf20cb257f95573aedfa9b31"`);
    await queryRunner.query(`DROP TABLE "vote_histogram"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_a4079a04f4a29a34ebad59f024"`);
    await queryRunner.query(`DROP TABLE "student_model"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8e3e14451236424c9901953021"`);
    await queryRunner.query(`DROP TABLE "query"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_bb860be5b85f72168ada903b76"`);
    await queryRunner.query(`DROP TABLE "unlabeled_record"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_06e26bed07c216df75f8782aec"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_81acc14ff49ac2ed3e7a36be1b"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f8734fe437d9f17fd0106317f2"`);
    await queryRunner.query(`DROP TABLE "ledger_entry"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_9af8bb95ea6dfe0fe3d54851aa"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_be6eb1b634fd4e93642501fcc2"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_83df68127e01ba01018c755714"`);
    await queryRunner.query(`DROP TABLE "labeling_job"`);
    await queryRunner.query(`DROP TABLE "unlabeled_dataset"`);
    await queryRunner.query(`DROP TABLE "privacy_budget"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_98adb5de2141e3dd59abab99a8"`);
    await queryRunner.query(`DROP TABLE "party"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_d49848915917829b6d8fa60917"`);
    await queryRunner.query(`DROP TABLE "consortium_dataset"`);
    await queryRunner.query(`DROP TABLE "consortium"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_45452915f68f5a171bc4107b9e"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_06d570d7d1b40fbc994b5955be"`);
    await queryRunner.query(`DROP TABLE "audit_event"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_dabf759bb33a03db3d2a5a35c4"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c4f6ccad30c0862eb54af9fb0a"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
  }
}
