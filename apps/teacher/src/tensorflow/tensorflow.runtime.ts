import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { initTensorflow, type TensorflowBackend } from '@conclave/ml';
import { TEACHER_LOGGER, type TeacherLogger } from '../teacher.logger.js';
import { TeacherEnv } from '../teacher.env.js';

/** Chooses the TensorFlow.js backend once, at start-up (before the service listens), and logs the choice. */
@Injectable()
export class TensorflowRuntime implements OnModuleInit {
  private chosen: TensorflowBackend | undefined;

  constructor(
    private readonly config: TeacherEnv,
    @Inject(TEACHER_LOGGER) private readonly logger: TeacherLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.chosen = await initTensorflow({ prefer: this.config.TF_BACKEND, logger: this.logger });
  }

  get backend(): string | undefined {
    return this.chosen?.name;
  }
}
