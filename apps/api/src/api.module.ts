import { Module, type DynamicModule } from '@nestjs/common';
import { databaseOptionsFor, ServiceFoundationModule } from '@conclave/db';
import { PrivacyBudgetService } from '@conclave/guardian';
import { ApiEnv } from './api.env.js';
import { BudgetAdminService } from './budgets/budget-admin.service.js';
import { BudgetController } from './budgets/budget.controller.js';
import { ConsortiumController } from './consortia/consortium.controller.js';
import { ConsortiumService } from './consortia/consortium.service.js';

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
      controllers: [ConsortiumController, BudgetController],
      providers: [{ provide: ApiEnv, useValue: config }, ConsortiumService, PrivacyBudgetService, BudgetAdminService],
    };
  }
}
