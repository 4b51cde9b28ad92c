import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PartyGuardianKey1795452862638 implements MigrationInterface {
  name = 'PartyGuardianKey1795452862638';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "party" ADD "guardian_api_key" character varying(100)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "party" DROP COLUMN "guardian_api_key"`);
  }
}
