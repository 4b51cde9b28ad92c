import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { migrationsFor, openDatabase, pendingSchemaChanges } from './data-source.factory.js';
import type { SchemaKind } from '../entities/index.js';

/** Tables and columns as information_schema describes them: what must be equal on both engines. */
async function describeSchema(dataSource: DataSource): Promise<string[]> {
  const columns: Array<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }> = await dataSource.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  );
  const indexes: Array<{ indexdef: string }> = await dataSource.query(
    `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`,
  );
  const triggers: Array<{ tgname: string }> = await dataSource.query(
    `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`,
  );
  return [
    ...columns.map((c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable} ${c.column_default ?? ''}`),
    ...indexes.map((i) => i.indexdef),
    ...triggers.map((t) => `trigger ${t.tgname}`),
  ];
}

describe.each<SchemaKind>(['coordinator', 'teacher', 'dealer'])('%s migrations', (schema) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(schema);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('applies every migration, in order, and leaves no drift from the entities', async () => {
    const applied: Array<{ name: string }> = await db.dataSource.query(
      'SELECT name FROM schema_migrations ORDER BY id',
    );
    expect(applied.map((m) => m.name)).toEqual(
      migrationsFor(schema).map((m) => new (m as new () => { name: string })().name),
    );
    expect(await pendingSchemaChanges(db.dataSource)).toEqual([]);
  });

  it('produces the same schema as the embedded PGlite default', async () => {
    const reference = await openDatabase({ schema });
    try {
      expect(await describeSchema(db.dataSource)).toEqual(await describeSchema(reference));
    } finally {
      await reference.destroy();
    }
  });

  it('reverts every migration and re-applies them cleanly', async () => {
    for (let i = 0; i < migrationsFor(schema).length; i += 1)
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    const tables: Array<{ n: string }> = await db.dataSource.query(
      `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
    );
    expect(tables[0]!.n).toBe('0');
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await pendingSchemaChanges(db.dataSource)).toEqual([]);
  });
});

describe('append-only tables', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('refuses UPDATE, DELETE and TRUNCATE of audit events', async () => {
    await db.dataSource.query(`INSERT INTO audit_event (action, details) VALUES ('test.append', '{}'::jsonb)`);
    await expect(db.dataSource.query(`UPDATE audit_event SET action = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`TRUNCATE audit_event`)).rejects.toThrow(/append-only/);
    const rows: Array<{ action: string }> = await db.dataSource.query('SELECT action FROM audit_event');
    expect(rows).toEqual([{ action: 'test.append' }]);
  });

  it('refuses UPDATE and DELETE of ledger entries', async () => {
    const [consortium] = await db.dataSource.query(`INSERT INTO consortium (name) VALUES ('c') RETURNING id`);
    const [dataset] = await db.dataSource.query(
      `INSERT INTO consortium_dataset (consortium_id, name, num_classes, record_schema) VALUES ($1, 'mnist', 10, '{}') RETURNING id`,
      [consortium.id],
    );
    const [budget] = await db.dataSource.query(
      `INSERT INTO privacy_budget (consortium_dataset_id, name, epsilon_limit, delta, orders, rdp_spent, rdp_spent_data_independent, version)
       VALUES ($1, 'b', 2, 1e-5, '[2]', '[0]', '[0]', 1) RETURNING id`,
      [dataset.id],
    );
    await db.dataSource.query(
      `INSERT INTO ledger_entry (budget_id, sequence, event) VALUES ($1, 1, '{"kind":"noop"}')`,
      [budget.id],
    );
    await expect(db.dataSource.query(`UPDATE ledger_entry SET event = '{}'`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`DELETE FROM ledger_entry`)).rejects.toThrow(/append-only/);
  });
});
