import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { runWithCorrelationId } from '@conclave/common';
import { LabelingJobRepository } from '@conclave/db';
import { CapcRunner, LabelingQueue, LabelingRunner } from '@conclave/guardian';
import { GUARDIAN_LOGGER } from './labeling.tokens.js';

/** How often a capc job waiting for the querying party is looked at again (besides each share-sum arrival). */
export const CAPC_WATCHDOG_SECONDS = 30;

/**
 * Takes labeling jobs (pate or capc) from the queue and runs them; several workers (hosts) may run side by side.
 * A capc run decides the batches that are ready and returns (it never holds the worker while the querying party is
 * still encrypting or running argmax rounds): the api queues the job again when share sums arrive, and a delayed
 * watchdog run catches anything missed and pauses a job left idle.
 */
@Injectable()
export class LabelingWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly queue: LabelingQueue,
    private readonly runner: LabelingRunner,
    private readonly capcRunner: CapcRunner,
    private readonly jobs: LabelingJobRepository,
    @Inject(GUARDIAN_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.start();
    await this.queue.work((jobId) =>
      runWithCorrelationId(`job-${jobId}`, async () => {
        // pate jobs collect plaintext votes; capc jobs reconstruct histograms from share sums (confidential mode).
        const job = await this.jobs.findById(jobId);
        if (job?.mode === 'capc') {
          const status = await this.capcRunner.run(jobId);
          if (status === 'running') await this.queue.enqueueAfter(jobId, CAPC_WATCHDOG_SECONDS);
          this.logger.debug({ jobId, status }, 'capc labeling job step finished');
          return;
        }
        const status = await this.runner.run(jobId);
        this.logger.info({ jobId, status }, 'labeling job step finished');
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.stop();
  }
}
