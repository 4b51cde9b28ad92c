import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import {
  ConsortiumRepository,
  databaseOptionsFor,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  ServiceFoundationModule,
  UnlabeledDatasetRepository,
} from '@conclave/db';
import { CryptoRng } from '@conclave/dp';
import { LabelingQueue, LabelingRunner, PrivacyBudgetService, VoteCollector } from '@conclave/guardian';
import { AggregatorEnv } from './aggregator.env.js';
import { GUARDIAN_LOGGER } from './labeling/labeling.tokens.js';
import { LabelingWorker } from './labeling/labeling.worker.js';

/** The privacy guardian: the service foundation, and the worker that runs labeling jobs from the queue. */
@Module({})
export class AggregatorModule {
  static register(config: AggregatorEnv): DynamicModule {
    const service = 'aggregator';
    const database = databaseOptionsFor('coordinator', service, config);
    const logger = createLogger(service, config.LOG_LEVEL);
    return {
      module: AggregatorModule,
      imports: [ServiceFoundationModule.forRoot({ service, database })],
      providers: [
        { provide: AggregatorEnv, useValue: config },
        { provide: GUARDIAN_LOGGER, useValue: logger },
        PrivacyBudgetService,
        {
          provide: LabelingQueue,
          useFactory: () => new LabelingQueue(database.databaseUrl!, logger),
        },
        {
          provide: VoteCollector,
          useFactory: () =>
            new VoteCollector(logger, { timeoutMs: config.TEACHER_TIMEOUT_MS, retries: config.TEACHER_RETRIES }),
        },
        {
          provide: LabelingRunner,
          inject: [
            LabelingJobRepository,
            UnlabeledDatasetRepository,
            ConsortiumRepository,
            PrivacyBudgetRepository,
            PrivacyBudgetService,
            VoteCollector,
          ],
          useFactory: (
            jobs: LabelingJobRepository,
            unlabeled: UnlabeledDatasetRepository,
            consortia: ConsortiumRepository,
            budgetRows: PrivacyBudgetRepository,
            budgets: PrivacyBudgetService,
            votes: VoteCollector,
          ) =>
            new LabelingRunner(jobs, unlabeled, consortia, budgetRows, budgets, votes, new CryptoRng(), logger, {
              batchSize: config.LABELING_BATCH_SIZE,
            }),
        },
        LabelingWorker,
      ],
    };
  }
}
