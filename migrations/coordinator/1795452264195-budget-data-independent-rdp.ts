import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keeps the data-independent (publishable) RDP total next to the charged one. Budgets created before this
 * migration with charges on them cannot be backfilled in SQL (the bound comes from each ledger event), so the
 * migration refuses to run over them rather than understate their cost.
 */
export class BudgetDataIndependentRdp1795452264195 implements MigrationInterface {
  name = 'BudgetDataIndependentRdp1795452264195';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM "privacy_budget" WHERE "entries" > 0) THEN
        RAISE EXCEPTION 'privacy budgets with ledger entries need their data-independent RDP recomputed from the ledger';
      END IF;
    END $$`);
    await queryRunner.query(`ALTER TABLE "privacy_budget" ADD "rdp_spent_data_independent" jsonb`);
    await queryRunner.query(`UPDATE "privacy_budget" SET "rdp_spent_data_independent" = "rdp_spent"`);
    await queryRunner.query(`ALTER TABLE "privacy_budget" ALTER COLUMN "rdp_spent_data_independent" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "privacy_budget" DROP COLUMN "rdp_spent_data_independent"`);
  }
}
