import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@conclave/common';
import {
  AuditRepository,
  CapcRepository,
  ConsortiumRepository,
  databaseOptionsFor,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  ServiceFoundationModule,
  TeacherDiscardRepository,
} from '@conclave/db';
import { CryptoRng, SeededRng, type Rng } from '@conclave/dp';
import {
  CapcRunner,
  LabelingQueue,
  LabelingRunner,
  PrivacyBudgetService,
  TeacherDiscardQueue,
  TeacherDiscardRunner,
  VoteCollector,
} from '@conclave/guardian';
import { AggregatorEnv } from './aggregator.env.js';
import { TeacherDiscardWorker } from './discard/teacher-discard.worker.js';
import { GUARDIAN_LOGGER } from './labeling/labeling.tokens.js';
import { LabelingWorker } from './labeling/labeling.worker.js';

/**
 * The privacy guardian: the service foundation, the worker that runs labeling jobs from the queue, and the one that
 * discards the teachers of a dataset once its student is accepted.
 */
@Module({})
export class AggregatorModule {
  static register(config: AggregatorEnv): DynamicModule {
    const service = 'aggregator';
    const database = databaseOptionsFor('coordinator', service, config);
    const logger = createLogger(service, config.LOG_LEVEL);
    const seed = config.AGGREGATOR_INSECURE_NOISE_SEED;
    if (seed !== undefined) {
      // Never the seed itself: whoever knows it can subtract the noise from every released label.
      logger.warn(
        'AGGREGATOR_INSECURE_NOISE_SEED is set: label noise is PREDICTABLE and labels are NOT differentially private — tests only',
      );
    }
    // Each runner its own stream: with a seed, the first pate job and the first capc job of a process draw the same noise.
    const noiseRng = (): Rng => (seed === undefined ? new CryptoRng() : new SeededRng(seed));
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
            ConsortiumRepository,
            PrivacyBudgetRepository,
            PrivacyBudgetService,
            VoteCollector,
          ],
          useFactory: (
            jobs: LabelingJobRepository,
            consortia: ConsortiumRepository,
            budgetRows: PrivacyBudgetRepository,
            budgets: PrivacyBudgetService,
            votes: VoteCollector,
          ) =>
            new LabelingRunner(jobs, consortia, budgetRows, budgets, votes, noiseRng(), logger, {
              batchSize: config.LABELING_BATCH_SIZE,
              edgeBatchSize: config.LABELING_EDGE_BATCH_SIZE,
              batchesInFlight: config.LABELING_BATCHES_IN_FLIGHT,
            }),
        },
        {
          provide: CapcRunner,
          inject: [
            LabelingJobRepository,
            CapcRepository,
            ConsortiumRepository,
            PrivacyBudgetRepository,
            PrivacyBudgetService,
          ],
          useFactory: (
            jobs: LabelingJobRepository,
            capc: CapcRepository,
            consortia: ConsortiumRepository,
            budgetRows: PrivacyBudgetRepository,
            budgets: PrivacyBudgetService,
          ) => new CapcRunner(jobs, capc, consortia, budgetRows, budgets, noiseRng(), logger),
        },
        LabelingWorker,
        {
          provide: TeacherDiscardQueue,
          useFactory: () => new TeacherDiscardQueue(database.databaseUrl!, logger),
        },
        {
          provide: TeacherDiscardRunner,
          inject: [ConsortiumRepository, TeacherDiscardRepository, AuditRepository],
          useFactory: (consortia: ConsortiumRepository, discards: TeacherDiscardRepository, audit: AuditRepository) =>
            new TeacherDiscardRunner(consortia, discards, audit, logger, {
              timeoutMs: config.TEACHER_TIMEOUT_MS,
              retries: config.TEACHER_RETRIES,
            }),
        },
        TeacherDiscardWorker,
      ],
    };
  }
}
