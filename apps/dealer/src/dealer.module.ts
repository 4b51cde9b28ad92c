import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { DealerEnv } from './dealer.env.js';

/** The dealer process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class DealerModule {
  static register(config: DealerEnv): DynamicModule {
    const service = 'dealer';
    return {
      module: DealerModule,
      imports: [ServiceFoundationModule.forRoot({ service, database: databaseOptionsFor('dealer', service, config) })],
      providers: [{ provide: DealerEnv, useValue: config }],
    };
  }
}
