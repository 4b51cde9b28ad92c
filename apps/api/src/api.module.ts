import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { ApiEnv } from './api.env.js';

/** The api process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class ApiModule {
  static register(config: ApiEnv): DynamicModule {
    const service = 'api';
    return {
      module: ApiModule,
      imports: [
        ServiceFoundationModule.forRoot({ service, database: databaseOptionsFor('coordinator', service, config) }),
      ],
      providers: [{ provide: ApiEnv, useValue: config }],
    };
  }
}
