import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { runWithCorrelationId } from '@conclave/common';
import { StudentModelRepository } from '@conclave/db';
import { STUDENT_LOGGER, type StudentLogger } from '../student.logger.js';
import { StudentTrainer } from './student-trainer.js';
import { StudentTrainingQueue } from './student-training.queue.js';

/**
 * Takes student trainings from the queue, one at a time per process (training saturates a core). At start-up
 * every student still marked 'training' is enqueued again — a no-op for those whose job is queued or running
 * elsewhere, a resume for one whose job was lost — so no row stays 'training' forever.
 */
@Injectable()
export class StudentTrainingWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly queue: StudentTrainingQueue,
    private readonly trainer: StudentTrainer,
    private readonly students: StudentModelRepository,
    @Inject(STUDENT_LOGGER) private readonly logger: StudentLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.start();
    const orphans = await this.students.listTraining();
    for (const student of orphans) await this.queue.enqueue(student.id);
    if (orphans.length > 0) this.logger.info({ students: orphans.length }, 'unfinished student trainings re-enqueued');
    await this.queue.work((studentId, signal) =>
      runWithCorrelationId(`student-${studentId}`, () => this.trainer.run(studentId, signal)),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.stop();
  }
}
