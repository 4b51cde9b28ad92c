import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { runWithCorrelationId } from '@conclave/common';
import { TeacherDiscardQueue, TeacherDiscardRunner } from '@conclave/guardian';
import { GUARDIAN_LOGGER } from '../labeling/labeling.tokens.js';

/** Takes teacher discards from the queue (enqueued when a student is accepted) and carries them out. */
@Injectable()
export class TeacherDiscardWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly queue: TeacherDiscardQueue,
    private readonly runner: TeacherDiscardRunner,
    @Inject(GUARDIAN_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.start();
    await this.queue.work((task) =>
      runWithCorrelationId(`discard-${task.datasetId}`, async () => {
        const result = await this.runner.run(task);
        this.logger.info(
          {
            datasetId: task.datasetId,
            confirmed: result.confirmed.length,
            failed: result.failed.length,
            datasetDiscarded: result.datasetDiscardedAt !== null,
          },
          'teacher discard step finished',
        );
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.stop();
  }
}
