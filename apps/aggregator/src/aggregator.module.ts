import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { AggregatorEnv } from './aggregator.env.js';

/** The aggregator process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class AggregatorModule {
  static register(config: AggregatorEnv): DynamicModule {
    const service = 'aggregator';
    return {
      module: AggregatorModule,
      imports: [
        ServiceFoundationModule.forRoot({ service, database: databaseOptionsFor('coordinator', service, config) }),
      ],
      providers: [{ provide: AggregatorEnv, useValue: config }],
    };
  }
}
