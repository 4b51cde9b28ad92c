import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StudentRegistryAndEvaluationData1795461052188 implements MigrationInterface {
  name = 'StudentRegistryAndEvaluationData1795461052188';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "teacher_discard" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consortium_dataset_id" uuid NOT NULL, "party_id" uuid NOT NULL, "student_model_id" uuid, "requested_by_key_id" uuid, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "error_code" character varying(64), "models_deleted" integer, "deleted_model_hashes" jsonb, "teacher_discard_id" character varying(64), "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5ccdb6b437afdc439fa255ae682" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_6619c8ec37dfa1544e213f3e56" ON "teacher_discard"  ("consortium_dataset_id", "party_id") `,
    );
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" ADD "consortium_dataset_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "unlabeled_dataset" ADD "purpose" character varying(16) NOT NULL DEFAULT 'pool'`,
    );
    await queryRunner.query(`ALTER TABLE "unlabeled_record" ADD "label" integer`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "evaluation_dataset_id" uuid`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "requested_by_party_id" uuid`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "requested_by_key_id" uuid`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "training_request" jsonb`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "method" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "architecture" character varying(8)`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "progress" jsonb`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "attempts" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "error_code" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "evaluation_accuracy" double precision`);
    await queryRunner.query(
      `ALTER TABLE "student_model" ADD "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(`ALTER TABLE "student_model" ADD "trained_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "accepted_by_key_id" uuid`);
    await queryRunner.query(`ALTER TABLE "student_model" ADD "superseded_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "IDX_8c395b8c06ca71053be73fc4b5" ON "unlabeled_dataset"  ("consortium_dataset_id") `,
    );
    await queryRunner.query(`CREATE INDEX "IDX_315b413b1eb731cad18c217b9f" ON "student_model"  ("status") `);
    await queryRunner.query(
      `ALTER TABLE "unlabeled_dataset" ADD CONSTRAINT "FK_8c395b8c06ca71053be73fc4b52" FOREIGN KEY ("consortium_dataset_id") REFERENCES "consortium_dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "teacher_discard" ADD CONSTRAINT "FK_cb83759cafc8aa40a11d4abca2d" FOREIGN KEY ("consortium_dataset_id") REFERENCES "consortium_dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "teacher_discard" ADD CONSTRAINT "FK_9e86567c8e79ec39a83714d963e" FOREIGN KEY ("party_id") REFERENCES "party"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teacher_discard" DROP CONSTRAINT "FK_9e86567c8e79ec39a83714d963e"`);
    await queryRunner.query(`ALTER TABLE "teacher_discard" DROP CONSTRAINT "FK_cb83759cafc8aa40a11d4abca2d"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" DROP CONSTRAINT "FK_8c395b8c06ca71053be73fc4b52"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_315b413b1eb731cad18c217b9f"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_8c395b8c06ca71053be73fc4b5"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "superseded_at"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "accepted_by_key_id"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "trained_at"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "updated_at"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "evaluation_accuracy"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "error_code"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "attempts"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "progress"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "architecture"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "method"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "training_request"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "requested_by_key_id"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "requested_by_party_id"`);
    await queryRunner.query(`ALTER TABLE "student_model" DROP COLUMN "evaluation_dataset_id"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_record" DROP COLUMN "label"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" DROP COLUMN "purpose"`);
    await queryRunner.query(`ALTER TABLE "unlabeled_dataset" DROP COLUMN "consortium_dataset_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_6619c8ec37dfa1544e213f3e56"`);
    await queryRunner.query(`DROP TABLE "teacher_discard"`);
  }
}
