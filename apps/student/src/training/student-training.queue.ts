import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';

export const STUDENT_TRAINING_QUEUE = 'student-training';

/**
 * Student trainings live in PostgreSQL through pg-boss: a job points at a student_model row in state 'training'.
 * A student process that dies mid-training is replaced: the heartbeat lapses, pg-boss hands the job to another
 * (or the restarted) process, and training starts again (the row counts the attempts). At most one queued or
 * active job per student (policy 'exclusive', keyed by the student id).
 */
export class StudentTrainingQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    connectionString: string,
    private readonly logger: Logger,
  ) {
    this.boss = new PgBoss({ connectionString, max: 2, schema: 'pgboss' });
    this.boss.on('error', (error: Error) => this.logger.error({ err: error }, 'student training queue error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    await this.boss.createQueue(STUDENT_TRAINING_QUEUE, {
      policy: 'exclusive',
      heartbeatSeconds: 60,
      retryLimit: 20,
      retryDelay: 5,
      retryBackoff: true,
      retryDelayMax: 120,
      expireInSeconds: 6 * 3600,
    });
    this.started = true;
  }

  /** Enqueues a student's training (a no-op when one is already queued or running). */
  async enqueue(studentId: string): Promise<void> {
    await this.boss.send(STUDENT_TRAINING_QUEUE, { studentId }, { singletonKey: studentId });
  }

  async work(handler: (studentId: string, signal: AbortSignal) => Promise<void>): Promise<void> {
    await this.boss.work<{ studentId: string }>(
      STUDENT_TRAINING_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 2 },
      async ([job]) => {
        if (job) await handler(job.data.studentId, job.signal);
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.started) await this.boss.stop({ graceful: true, timeout: 10_000 });
    this.started = false;
  }
}
