import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startCoordinatorServerForTest } from './coordinator-server.testing.js';

/**
 * LISTEN/NOTIFY across connections — how pg-boss wakes the guardian's worker when the api queues a job. PostgreSQL
 * delivers a notification to the sessions that listen; the embedded server has one PGlite session for all its
 * connections and relays each notification from the notifier's output to every connection.
 */
describe(`LISTEN/NOTIFY across connections (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite server'})`, () => {
  let url: string;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    ({ url, teardown } = await startCoordinatorServerForTest('notify'));
  });
  afterAll(async () => {
    await teardown?.();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  }

  function nextNotification(client: pg.Client, channel: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const listener = (n: pg.Notification) => {
        if (n.channel !== channel) return;
        client.off('notification', listener);
        resolve(n.payload);
      };
      client.on('notification', listener);
    });
  }

  it('delivers a NOTIFY from one connection to another that listens, once, and both keep working', async () => {
    const listener = await connect();
    const notifier = await connect();
    try {
      await listener.query('LISTEN conclave_test');
      const received: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === 'conclave_test') received.push(n.payload ?? '');
      });
      const first = nextNotification(listener, 'conclave_test');
      await notifier.query(`NOTIFY conclave_test, 'first'`);
      await expect(first).resolves.toBe('first');
      // Inside a transaction and through the extended protocol (as pg-boss sends it): delivered at commit.
      const second = nextNotification(listener, 'conclave_test');
      await notifier.query('BEGIN');
      await notifier.query('SELECT pg_notify($1, $2)', ['conclave_test', 'second']);
      await notifier.query('COMMIT');
      await expect(second).resolves.toBe('second');
      // Both connections still answer queries in order after the relayed messages.
      expect((await listener.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
      expect((await notifier.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n).toBe(2);
      expect(received).toEqual(['first', 'second']);
    } finally {
      await listener.end();
      await notifier.end();
    }
  });

  it('delivers nothing for a transaction that rolls back', async () => {
    const listener = await connect();
    const notifier = await connect();
    try {
      await listener.query('LISTEN conclave_rollback');
      const received: string[] = [];
      listener.on('notification', (n) => received.push(n.payload ?? ''));
      await notifier.query('BEGIN');
      await notifier.query(`NOTIFY conclave_rollback, 'never'`);
      await notifier.query('ROLLBACK');
      const after = nextNotification(listener, 'conclave_rollback');
      await notifier.query(`NOTIFY conclave_rollback, 'after'`);
      await expect(after).resolves.toBe('after');
      expect(received).toEqual(['after']);
    } finally {
      await listener.end();
      await notifier.end();
    }
  });
});
