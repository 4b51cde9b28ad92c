import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startCoordinatorServerForTest } from './coordinator-server.testing.js';

/**
 * Two concurrent transactions from two connections — how api, guardian and student share the
 * coordinator database. On PostgreSQL (DATABASE_URL) they are real sessions; on the embedded
 * default they go through the PGlite server on loopback that the services use.
 */
describe(`transaction isolation (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite server'})`, () => {
  let url: string;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    ({ url, teardown } = await startCoordinatorServerForTest('isolation'));
  });
  afterAll(async () => {
    await teardown?.();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  }

  async function count(client: pg.Client, name: string): Promise<number> {
    const result = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM consortium WHERE name = $1', [
      name,
    ]);
    return Number(result.rows[0]!.n);
  }

  it('does not let another connection see a write that is rolled back', async () => {
    const writer = await connect();
    const reader = await connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO consortium (name) VALUES ('rolled-back')`);
      expect(await count(writer, 'rolled-back')).toBe(1); // visible inside its own transaction
      // PostgreSQL answers at once from its snapshot; the embedded server holds the reader until the
      // writer's transaction ends. Either way the reader must never see the uncommitted row.
      const seenByReader = count(reader, 'rolled-back');
      await writer.query('ROLLBACK');
      expect(await seenByReader).toBe(0);
      expect(await count(reader, 'rolled-back')).toBe(0);
      expect(await count(writer, 'rolled-back')).toBe(0);
    } finally {
      await writer.end();
      await reader.end();
    }
  });

  it('makes a committed write visible to the other connection', async () => {
    const writer = await connect();
    const reader = await connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO consortium (name) VALUES ('committed')`);
      await writer.query('COMMIT');
      expect(await count(reader, 'committed')).toBe(1);
    } finally {
      await writer.end();
      await reader.end();
    }
  });

  it('serializes two transactions that lock the same row', async () => {
    const a = await connect();
    const b = await connect();
    try {
      await a.query(`INSERT INTO consortium (name) VALUES ('counter')`);
      const order: string[] = [];
      await a.query('BEGIN');
      await a.query(`SELECT id FROM consortium WHERE name = 'counter' FOR UPDATE`);
      const second = (async () => {
        await b.query('BEGIN');
        await b.query(`SELECT id FROM consortium WHERE name = 'counter' FOR UPDATE`);
        order.push('b locked');
        await b.query('COMMIT');
      })();
      await new Promise((r) => setTimeout(r, 200));
      order.push('a commits');
      await a.query('COMMIT');
      await second;
      expect(order).toEqual(['a commits', 'b locked']);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('keeps concurrent parameterised queries of several connections apart', async () => {
    // Each parameterised query is one extended-protocol cycle (Parse, Bind, Describe, Execute, Sync) that uses the
    // session's unnamed statement: cycles of different connections must not interleave (electric-sql/pglite#1046).
    const clients = await Promise.all([connect(), connect(), connect()]);
    try {
      await clients[0]!.query(`INSERT INTO consortium (name) SELECT 'cycle-' || g FROM generate_series(1, 20) g`);
      const wrong: string[] = [];
      const byName = async (client: pg.Client) => {
        for (let i = 0; i < 60; i++) {
          const name = `cycle-${1 + (i % 20)}`;
          const rows = (await client.query<{ name: string }>('SELECT name FROM consortium WHERE name = $1', [name]))
            .rows;
          if (rows.length !== 1 || rows[0]!.name !== name) wrong.push(`by name ${name}: ${JSON.stringify(rows)}`);
        }
      };
      const counting = async (client: pg.Client) => {
        for (let i = 0; i < 60; i++) {
          const rows = (
            await client.query<{ n: number }>(
              `SELECT count(*)::int + $1::int AS n FROM consortium WHERE name LIKE $2`,
              [i, 'cycle-%'],
            )
          ).rows;
          if (rows[0]?.n !== 20 + i) wrong.push(`count ${i}: ${JSON.stringify(rows)}`);
        }
      };
      const inTransactions = async (client: pg.Client) => {
        for (let i = 0; i < 20; i++) {
          await client.query('BEGIN');
          const rows = (
            await client.query<{ name: string }>('SELECT name FROM consortium WHERE name = $1 FOR UPDATE', ['cycle-7'])
          ).rows;
          await client.query('COMMIT');
          if (rows[0]?.name !== 'cycle-7') wrong.push(`locked ${i}: ${JSON.stringify(rows)}`);
        }
      };
      await Promise.all([byName(clients[0]!), counting(clients[1]!), inTransactions(clients[2]!)]);
      expect(wrong).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
