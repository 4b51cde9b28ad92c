import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { createLogger } from '@conclave/common';
import { LabelingQueue, PrivacyBudgetService } from '@conclave/guardian';
import { ApiEnv } from './api.env.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { CapcController } from './capc/capc.controller.js';
import { capcProviders } from './capc/capc.providers.js';
import { BudgetAdminService } from './budgets/budget-admin.service.js';
import { BudgetController } from './budgets/budget.controller.js';
import { ConsortiumController } from './consortia/consortium.controller.js';
import { ConsortiumService } from './consortia/consortium.service.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { UnlabeledController } from './unlabeled/unlabeled.controller.js';
import { UnlabeledService } from './unlabeled/unlabeled.service.js';

/** The api process: the service foundation (database, health, auth, credentials) and its features. */
@Module({})
export class ApiModule {
  static register(config: ApiEnv): DynamicModule {
    const service = 'api';
    const database = databaseOptionsFor('coordinator', service, config);
    return {
      module: ApiModule,
      imports: [ServiceFoundationModule.forRoot({ service, database })],
      controllers: [
        ConsortiumController,
        BudgetController,
        UnlabeledController,
        JobsController,
        AuditController,
        CapcController,
      ],
      providers: [
        { provide: ApiEnv, useValue: config },
        ConsortiumService,
        PrivacyBudgetService,
        BudgetAdminService,
        UnlabeledService,
        JobsService,
        AuditService,
        ...capcProviders(config),
        {
          // The api only enqueues; the guardian's workers take the jobs.
          provide: LabelingQueue,
          useFactory: async () => {
            const queue = new LabelingQueue(database.databaseUrl!, createLogger(service, config.LOG_LEVEL));
            await queue.start();
            return queue;
          },
        },
      ],
    };
  }
}
