import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { runWithCorrelationId } from '@conclave/common';
import { LabelingJobRepository } from '@conclave/db';
import { CapcRunner, LabelingQueue, LabelingRunner } from '@conclave/guardian';
import { GUARDIAN_LOGGER } from './labeling.tokens.js';

/** Takes labeling jobs (pate or capc) from the queue and runs them; several workers (hosts) may run side by side. */
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
        const status = job?.mode === 'capc' ? await this.capcRunner.run(jobId) : await this.runner.run(jobId);
        this.logger.info({ jobId, status }, 'labeling job step finished');
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.stop();
  }
}
