import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795450580742 implements MigrationInterface {
  name = 'InitialSchema1795450580742';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "prefix" character varying(12) NOT NULL, "secret_hash" character(64) NOT NULL, "role" character varying(32) NOT NULL, "party_id" uuid, "label" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c4f6ccad30c0862eb54af9fb0a" ON "api_key"  ("prefix") `);
    await queryRunner.query(`CREATE INDEX "IDX_dabf759bb33a03db3d2a5a35c4" ON "api_key"  ("party_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_dabf759bb33a03db3d2a5a35c4"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c4f6ccad30c0862eb54af9fb0a"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
  }
}
