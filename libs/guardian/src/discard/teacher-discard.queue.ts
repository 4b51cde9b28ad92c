import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';

export const TEACHER_DISCARD_QUEUE = 'teacher-discard';

/** One instruction: discard the teachers of a consortium dataset, because a student of it was accepted. */
export interface TeacherDiscardTask {
  datasetId: string;
  studentId: string | null;
  /** The key of whoever asked (the accepting admin): recorded in the audit log as the requester. */
  requestedByKeyId: string | null;
  /** Sent to every teacher service, e.g. `student <id> v3 accepted`. */
  reason: string;
}

/**
 * Teacher discards live in PostgreSQL through pg-boss, like labeling jobs: the student service enqueues one when
 * a student is accepted; the guardian's worker, which holds the keys the data owners issued to it, calls every
 * teacher service. The progress is in the teacher_discard rows, so a worker that dies is simply replaced and a
 * retry skips the teacher services that already confirmed.
 */
export class TeacherDiscardQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
    private readonly options: { poolSize?: number; retryLimit?: number } = {},
  ) {
    this.boss = new PgBoss({ connectionString, max: options.poolSize ?? 2, schema: 'pgboss' });
    this.boss.on('error', (error: Error) => this.logger.error({ err: error }, 'teacher discard queue error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    await this.boss.createQueue(TEACHER_DISCARD_QUEUE, {
      heartbeatSeconds: 30,
      retryLimit: this.options.retryLimit ?? 20,
      retryDelay: 2,
      retryBackoff: true,
      retryDelayMax: 300,
      expireInSeconds: 3600,
    });
    this.started = true;
  }

  async enqueue(task: TeacherDiscardTask): Promise<void> {
    await this.boss.send(TEACHER_DISCARD_QUEUE, task);
  }

  async work(handler: (task: TeacherDiscardTask) => Promise<void>): Promise<void> {
    await this.boss.work<TeacherDiscardTask>(
      TEACHER_DISCARD_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 2 },
      async ([job]) => {
        if (job) await handler(job.data);
      },
    );
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
