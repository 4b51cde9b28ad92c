import type { MigrationInterface, QueryRunner } from 'typeorm';

export class QueryBaseline1795454459787 implements MigrationInterface {
  name = 'QueryBaseline1795454459787';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "query" ADD "baseline" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "query" DROP COLUMN "baseline"`);
  }
}
