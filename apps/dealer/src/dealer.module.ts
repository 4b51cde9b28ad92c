import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import {
  ArgmaxSessionRepository,
  databaseOptionsFor,
  ServiceFoundationModule,
  type DatabaseOptions,
} from '@conclave/db';
import { ArgmaxSessionController } from './argmax-sessions/argmax-session.controller.js';
import { ArgmaxSessionService } from './argmax-sessions/argmax-session.service.js';
import { DealerEnv } from './dealer.env.js';
import { DEALER_LOGGER } from './dealer.logger.js';

/** The dealer process: the service foundation (database, health, auth, credentials) and its argmax sessions. */
@Module({})
export class DealerModule {
  /** `database` overrides where the database is (tests); by default it follows the configuration. */
  static register(config: DealerEnv, overrides: { database?: DatabaseOptions } = {}): DynamicModule {
    const service = 'dealer';
    return {
      module: DealerModule,
      imports: [
        ServiceFoundationModule.forRoot({
          service,
          database: overrides.database ?? databaseOptionsFor('dealer', service, config),
        }),
      ],
      controllers: [ArgmaxSessionController],
      providers: [
        { provide: DealerEnv, useValue: config },
        { provide: DEALER_LOGGER, useValue: createLogger(service, config.LOG_LEVEL) },
        // The dealer schema's only repository; provided here (the foundation's DataSource is global).
        ArgmaxSessionRepository,
        ArgmaxSessionService,
      ],
    };
  }
}
