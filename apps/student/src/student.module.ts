import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { StudentEnv } from './student.env.js';

/** The student process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class StudentModule {
  static register(config: StudentEnv): DynamicModule {
    const service = 'student';
    return {
      module: StudentModule,
      imports: [
        ServiceFoundationModule.forRoot({ service, database: databaseOptionsFor('coordinator', service, config) }),
      ],
      providers: [{ provide: StudentEnv, useValue: config }],
    };
  }
}
