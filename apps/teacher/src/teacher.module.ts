import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { TeacherEnv } from './teacher.env.js';

/** The teacher process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class TeacherModule {
  static register(config: TeacherEnv): DynamicModule {
    const service = `teacher-${config.TEACHER_ID}`;
    return {
      module: TeacherModule,
      imports: [ServiceFoundationModule.forRoot({ service, database: databaseOptionsFor('teacher', service, config) })],
      providers: [{ provide: TeacherEnv, useValue: config }],
    };
  }
}
