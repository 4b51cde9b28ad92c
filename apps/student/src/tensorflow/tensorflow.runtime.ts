import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { initTensorflow, type TensorflowBackend } from '@conclave/ml';
import { STUDENT_LOGGER, type StudentLogger } from '../student.logger.js';
import { StudentEnv } from '../student.env.js';

/** Chooses the TensorFlow.js backend once, at start-up (before the service listens), and logs the choice. */
@Injectable()
export class TensorflowRuntime implements OnModuleInit {
  private chosen: TensorflowBackend | undefined;

  constructor(
    private readonly config: StudentEnv,
    @Inject(STUDENT_LOGGER) private readonly logger: StudentLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.chosen = await initTensorflow({ prefer: this.config.TF_BACKEND, logger: this.logger });
  }

  get backend(): string {
    return this.chosen?.name ?? 'unknown';
  }
}
