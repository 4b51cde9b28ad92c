import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { PrivacyBudgetService, TeacherDiscardQueue } from '@conclave/guardian';
import { StudentArtifactStore } from './artifacts/student-artifact.store.js';
import { PredictController } from './predict/predict.controller.js';
import { PredictService } from './predict/predict.service.js';
import { StudentModelCache } from './predict/student-model.cache.js';
import { StudentEnv } from './student.env.js';
import { STUDENT_LOGGER } from './student.logger.js';
import { StudentsController } from './students/students.controller.js';
import { StudentsService } from './students/students.service.js';
import { TensorflowRuntime } from './tensorflow/tensorflow.runtime.js';
import { StudentTrainer } from './training/student-trainer.js';
import { StudentTrainingQueue } from './training/student-training.queue.js';
import { StudentTrainingWorker } from './training/student-training.worker.js';

/**
 * The student process: the service foundation (database, health, auth, credentials), the registry and its
 * training worker (pg-boss queue `student-training`), exports, acceptance (which enqueues the guardian's
 * `teacher-discard`), and inference with the deployed student.
 */
@Module({})
export class StudentModule {
  static register(config: StudentEnv): DynamicModule {
    const service = 'student';
    const database = databaseOptionsFor('coordinator', service, config);
    const logger = createLogger(service, config.LOG_LEVEL);
    return {
      module: StudentModule,
      imports: [ServiceFoundationModule.forRoot({ service, database })],
      controllers: [StudentsController, PredictController],
      providers: [
        { provide: StudentEnv, useValue: config },
        { provide: STUDENT_LOGGER, useValue: logger },
        TensorflowRuntime,
        PrivacyBudgetService,
        StudentArtifactStore,
        { provide: StudentTrainingQueue, useFactory: () => new StudentTrainingQueue(database.databaseUrl!, logger) },
        {
          // The student service only enqueues discards; the guardian, which holds the teachers' keys, carries them out.
          provide: TeacherDiscardQueue,
          useFactory: async () => {
            const queue = new TeacherDiscardQueue(database.databaseUrl!, logger);
            await queue.start();
            return queue;
          },
        },
        StudentTrainer,
        StudentTrainingWorker,
        StudentsService,
        StudentModelCache,
        PredictService,
      ],
    };
  }
}
