import type { Provider } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import { CapcRepository, ConsortiumRepository, LabelingJobRepository, PrivacyBudgetRepository } from '@conclave/db';
import { CapcRelay } from '@conclave/guardian';
import type { ApiEnv } from '../api.env.js';
import { CapcService } from './capc.service.js';

/** The relay of confidential jobs (libs/guardian) and the api's service over it. */
export function capcProviders(config: ApiEnv): Provider[] {
  return [
    {
      provide: CapcRelay,
      inject: [CapcRepository, LabelingJobRepository, PrivacyBudgetRepository, ConsortiumRepository],
      useFactory: (
        capc: CapcRepository,
        jobs: LabelingJobRepository,
        budgets: PrivacyBudgetRepository,
        consortia: ConsortiumRepository,
      ) => new CapcRelay(capc, jobs, budgets, consortia, createLogger('api', config.LOG_LEVEL)),
    },
    CapcService,
  ];
}
