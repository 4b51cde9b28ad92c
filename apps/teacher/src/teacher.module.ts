import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import { databaseOptionsFor, ServiceFoundationModule, type DatabaseOptions } from '@conclave/db';
import { CapcController } from './capc/capc.controller.js';
import { CAPC_HEAD_SOURCE } from './capc/capc-head.source.js';
import { FileCapcHeads } from './capc/capc-heads.file.js';
import { CapcService } from './capc/capc.service.js';
import { CapcHeadsModule, CapcHeadsService } from './capc-heads/capc-heads.module.js';
import { DiscardController } from './discard/discard.controller.js';
import { DiscardService } from './discard/discard.service.js';
import { PartitionController } from './partitions/partition.controller.js';
import { PartitionService } from './partitions/partition.service.js';
import { TeacherEnv } from './teacher.env.js';
import { TEACHER_LOGGER } from './teacher.logger.js';
import { TensorflowRuntime } from './tensorflow/tensorflow.runtime.js';
import { TrainingController } from './training/training.controller.js';
import { TrainingRunner } from './training/training.runner.js';
import { TrainingService } from './training/training.service.js';
import { TeacherModelCache } from './votes/teacher-model.cache.js';
import { VoteController } from './votes/vote.controller.js';
import { VoteService } from './votes/vote.service.js';

/** The teacher process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class TeacherModule {
  /** `database` overrides where the database is (tests); by default it follows the configuration. */
  static register(config: TeacherEnv, overrides: { database?: DatabaseOptions } = {}): DynamicModule {
    const service = `teacher-${config.TEACHER_ID}`;
    return {
      module: TeacherModule,
      imports: [
        ServiceFoundationModule.forRoot({
          service,
          database: overrides.database ?? databaseOptionsFor('teacher', service, config),
        }),
        CapcHeadsModule,
      ],
      controllers: [PartitionController, TrainingController, VoteController, DiscardController, CapcController],
      providers: [
        { provide: TeacherEnv, useValue: config },
        { provide: TEACHER_LOGGER, useValue: createLogger(service, config.LOG_LEVEL) },
        TensorflowRuntime,
        PartitionService,
        TrainingRunner,
        TrainingService,
        TeacherModelCache,
        VoteService,
        DiscardService,
        // Confidential mode: the heads fitted with the teachers (CapcHeadsModule); CAPC_HEADS_FILE (tests) overrides.
        {
          provide: CAPC_HEAD_SOURCE,
          inject: [CapcHeadsService],
          useFactory: (fitted: CapcHeadsService) =>
            config.CAPC_HEADS_FILE ? new FileCapcHeads(config.CAPC_HEADS_FILE) : fitted,
        },
        CapcService,
      ],
    };
  }
}
