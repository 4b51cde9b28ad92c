import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ArgmaxSessions1796306021557 implements MigrationInterface {
  name = 'ArgmaxSessions1796306021557';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "argmax_session" ("id" uuid NOT NULL, "modulus" bigint NOT NULL, "classes" integer NOT NULL, "count" integer NOT NULL, "party0_id" uuid NOT NULL, "party1_id" uuid NOT NULL, "seed" bytea, "created_by_key_id" uuid, "consumed0_at" TIMESTAMP WITH TIME ZONE, "consumed0_by_key_id" uuid, "consumed1_at" TIMESTAMP WITH TIME ZONE, "consumed1_by_key_id" uuid, "seed_erased_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_argmax_session_seed" CHECK ("seed" IS NULL OR octet_length("seed") = 32), CONSTRAINT "CHK_argmax_session_parties" CHECK ("party0_id" <> "party1_id"), CONSTRAINT "CHK_argmax_session_shape" CHECK ("classes" >= 2 AND "count" >= 1 AND "modulus" >= 3 AND "modulus" < 4294967296), CONSTRAINT "PK_b6edc286c3444facc09c9e10ce6" PRIMARY KEY ("id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "argmax_session"`);
  }
}
