import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';

export const LABELING_QUEUE = 'labeling-jobs';

/**
 * Labeling jobs live in PostgreSQL through pg-boss (its own `pgboss` schema, which pg-boss migrates itself).
 * A job is a pointer to a labeling_job row; the work and its progress are in the coordinator tables, so a
 * worker that dies is simply replaced: the heartbeat lapses, pg-boss retries, and the runner resumes with
 * the queries still pending.
 */
export class LabelingQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
    options: { poolSize?: number } = {},
  ) {
    // LISTEN/NOTIFY wakes an idle worker when a job is sent instead of at its next poll, on PostgreSQL and on the
    // embedded server, which relays notifications between its connections (libs/db notification-relay.ts); pg-boss
    // falls back to polling, with a warning, where the connection cannot listen.
    this.boss = new PgBoss({ connectionString, max: options.poolSize ?? 2, schema: 'pgboss', useListenNotify: true });
    this.boss.on('warning', (warning: { message?: string }) =>
      this.logger.warn({ warning: warning.message }, 'job queue warning'),
    );
    this.boss.on('error', (error: Error) => this.logger.error({ err: error }, 'job queue error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    await this.boss.createQueue(LABELING_QUEUE, {
      heartbeatSeconds: 15,
      retryLimit: 1000,
      retryDelay: 5,
      retryBackoff: true,
      retryDelayMax: 120,
      expireInSeconds: 24 * 3600,
      notify: true,
    });
    // Queues created by an earlier version had no NOTIFY.
    await this.boss.updateQueue(LABELING_QUEUE, { notify: true });
    this.started = true;
  }

  /**
   * Queues a run of the labeling job. Several pg-boss jobs may point at the same labeling job (each event that makes
   * work ready queues one, so none is lost); runs are idempotent — the ledger charges a query at most once.
   */
  async enqueue(jobId: string): Promise<void> {
    await this.boss.send(LABELING_QUEUE, { jobId }, { singletonKey: jobId });
  }

  /**
   * Queues a run in `seconds` (a watchdog, e.g. of a capc job waiting for the querying party): at most one per job and
   * slot of `seconds` (pg-boss singletonSeconds), so repeated calls do not multiply the delayed runs.
   */
  async enqueueAfter(jobId: string, seconds: number): Promise<void> {
    await this.boss.send(
      LABELING_QUEUE,
      { jobId },
      { singletonKey: `${jobId}:later`, singletonSeconds: seconds, startAfter: seconds },
    );
  }

  async work(handler: (jobId: string) => Promise<void>): Promise<void> {
    // NOTIFY starts a new labeling job at once; polling at pg-boss's shortest interval stays as the floor (a
    // connection that cannot listen, a notification lost across a reconnect): one small query every 0.5 s.
    const options = { batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 };
    await this.boss.work<{ jobId: string }>(LABELING_QUEUE, options, async ([job]) => {
      if (job) await handler(job.data.jobId);
    });
  }

  /** Nest calls this at shutdown for a provider instance. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.started) await this.boss.stop({ graceful: true, timeout: 10_000 });
    this.started = false;
  }
}
