import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The privacy ledger and the audit log are append-only: a trigger refuses UPDATE, DELETE and
 * TRUNCATE, so no code path (or operator with SQL access short of the table owner dropping the trigger)
 * can rewrite history. TypeORM's schema diff does not see triggers, so they live in this hand-written migration.
 */
export class AppendOnlyLedgerAndAudit1795450500000 implements MigrationInterface {
  name = 'AppendOnlyLedgerAndAudit1795450500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION conclave_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
      END
    $$`);
    for (const table of ['ledger_entry', 'audit_event']) {
      await queryRunner.query(
        `CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION conclave_refuse_change()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION conclave_refuse_change()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ledger_entry', 'audit_event']) {
      await queryRunner.query(`DROP TRIGGER "${table}_no_truncate" ON "${table}"`);
      await queryRunner.query(`DROP TRIGGER "${table}_append_only" ON "${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION conclave_refuse_change()`);
  }
}
