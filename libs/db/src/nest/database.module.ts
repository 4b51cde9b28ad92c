import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_KEY_STORE } from '@conclave/common';
import { openDatabase, type DatabaseOptions } from '../data-source/data-source.factory.js';
import { ApiKeyRepository } from '../repositories/api-key.repository.js';
import { AuditRepository } from '../repositories/audit.repository.js';
import { PrivacyBudgetRepository } from '../repositories/privacy-budget.repository.js';
import { ConsortiumRepository } from '../repositories/consortium.repository.js';
import { DiscardRepository } from '../repositories/discard.repository.js';
import { PartitionRepository } from '../repositories/partition.repository.js';
import { TeacherModelRepository } from '../repositories/teacher-model.repository.js';
import { LabelingJobRepository } from '../repositories/labeling-job.repository.js';
import { UnlabeledDatasetRepository } from '../repositories/unlabeled-dataset.repository.js';
import { StudentModelRepository } from '../repositories/student-model.repository.js';
import { TeacherDiscardRepository } from '../repositories/teacher-discard.repository.js';
import { CapcRepository } from '../repositories/capc.repository.js';

/**
 * The service's database for NestJS: opens (and migrates) it at boot, closes it at shutdown,
 * and provides the repositories. Import it once, in the app module.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    const coordinatorOnly =
      options.schema === 'coordinator'
        ? [
            AuditRepository,
            PrivacyBudgetRepository,
            ConsortiumRepository,
            UnlabeledDatasetRepository,
            LabelingJobRepository,
            StudentModelRepository,
            TeacherDiscardRepository,
            CapcRepository,
          ]
        : [];
    const teacherOnly =
      options.schema === 'teacher' ? [PartitionRepository, TeacherModelRepository, DiscardRepository] : [];
    const schemaRepositories = [...coordinatorOnly, ...teacherOnly];
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' }),
          dataSourceFactory: () => openDatabase(options),
        }),
      ],
      providers: [ApiKeyRepository, { provide: API_KEY_STORE, useExisting: ApiKeyRepository }, ...schemaRepositories],
      exports: [ApiKeyRepository, API_KEY_STORE, ...schemaRepositories],
    };
  }
}
