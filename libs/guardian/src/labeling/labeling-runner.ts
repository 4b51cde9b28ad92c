import type { Logger } from 'pino';
import { DomainError } from '@conclave/common';
import { encodeFeatures, MAX_VOTE_BATCH } from '@conclave/contracts';
import type { Rng } from '@conclave/dp';
import {
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  UnlabeledDatasetRepository,
  type JobStatus,
} from '@conclave/db';
import { PrivacyBudgetService } from '../budgets/privacy-budget.service.js';
import { buildJobMechanism, type QueryDecision } from './job-mechanism.js';
import type { VoteCollector } from './vote-collector.js';

export interface LabelingRunnerOptions {
  batchSize?: number;
}

const FINAL: JobStatus[] = ['completed', 'budget-exhausted', 'cancelled', 'failed'];

/**
 * Runs one labeling job (pate mode) to its end: batches of pending queries → votes from every teacher service
 * → histograms → the job's mechanism (noise from the CSPRNG) → the budget filter, which appends the cost to
 * the ledger and writes the query's outcome in one transaction. Crash-safe by construction: a query's outcome
 * and its charge commit together, so a resumed run simply continues with the queries still pending and never
 * answers or charges one twice.
 */
export class LabelingRunner {
  constructor(
    private readonly jobs: LabelingJobRepository,
    private readonly unlabeled: UnlabeledDatasetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly budgetRows: PrivacyBudgetRepository,
    private readonly budgets: PrivacyBudgetService,
    private readonly votes: VoteCollector,
    private readonly rng: Rng,
    private readonly logger: Logger,
    private readonly options: LabelingRunnerOptions = {},
  ) {}

  async run(jobId: string): Promise<JobStatus> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new DomainError('NOT_FOUND', `No labeling job ${jobId}`);
    if (FINAL.includes(job.status)) return job.status;
    if (job.mode !== 'pate')
      throw new DomainError('VALIDATION_FAILED', `Job mode ${job.mode} is not run by this worker`);
    await this.jobs.transition(jobId, ['queued', 'paused', 'running'], 'running');

    const budget = await this.budgetRows.findById(job.budgetId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!budget || !dataset) return this.fail(jobId, 'NOT_FOUND');
    if (dataset.teachersDiscardedAt) return this.fail(jobId, 'TEACHER_DISCARDED');
    const endpoints = await this.consortia.teacherEndpoints(dataset.consortiumId);
    const mechanism = buildJobMechanism(job.mechanism, job.params);
    const shape = { numClasses: dataset.numClasses, multiLabel: dataset.labelKind === 'multi-label' };
    const batchSize = Math.min(this.options.batchSize ?? 256, MAX_VOTE_BATCH);

    for (;;) {
      const current = await this.jobs.findById(jobId);
      if (!current || current.status !== 'running') return current?.status ?? 'failed'; // cancelled or paused meanwhile
      const pending = await this.jobs.nextPending(jobId, batchSize);
      if (pending.length === 0) {
        await this.jobs.transition(jobId, ['running'], 'completed');
        this.logger.info({ jobId }, 'labeling job completed');
        return 'completed';
      }
      const features = await this.unlabeled.features(pending.map((q) => q.recordId));
      const request = {
        dataset: dataset.name,
        queries: pending.map((q) => ({ queryId: q.id, features: bytesToBase64(features.get(q.recordId)!) })),
      };
      const collected = await this.votes.collect(endpoints, request, shape);

      const histograms = pending.map((query) => ({ ...collected.histograms.get(query.id)!, baseline: query.baseline }));
      const short = histograms.find((histogram) => histogram.voters < job.quorum);
      if (short) {
        // Not enough teachers voted: pause (pg-boss retries the job later); nothing is answered or charged.
        await this.jobs.transition(jobId, ['running'], 'paused', 'QUORUM_NOT_MET');
        this.logger.warn(
          { jobId, voters: short.voters, quorum: job.quorum, missing: collected.missing },
          'quorum not met',
        );
        throw new DomainError(
          'UPSTREAM_UNAVAILABLE',
          `Only ${short.voters} teachers voted; the job's quorum is ${job.quorum}`,
        );
      }
      const decisions: QueryDecision[] = histograms.map((histogram) => mechanism.run(histogram, this.rng));
      // The whole batch in one transaction: each query's charge and outcome still commit together (see
      // PrivacyBudgetService.chargeAndReleaseBatch), with a fixed number of statements per batch.
      const outcome = await this.budgets.chargeAndReleaseBatch({
        budgetId: job.budgetId,
        jobId,
        items: pending.map((query, i) => ({
          queryId: query.id,
          event: mechanism.event(histograms[i]!, decisions[i]!),
          checkEvent: mechanism.checkEvent(histograms[i]!),
        })),
        release: (tx, charged) =>
          this.jobs.recordOutcomes(
            tx,
            jobId,
            charged.map((i) => ({
              queryId: pending[i]!.id,
              ...decisions[i]!,
              histogram: { counts: histograms[i]!.counts, voters: histograms[i]!.voters },
            })),
          ),
        onRefused: async (tx, i) => {
          await this.jobs.recordOutcomes(tx, jobId, [
            { queryId: pending[i]!.id, status: 'refused-budget', label: null },
          ]);
        },
      });
      if (outcome.refused) {
        const closed = await this.jobs.closePending(jobId, 'refused-budget');
        await this.jobs.transition(jobId, ['running'], 'budget-exhausted', 'BUDGET_EXHAUSTED');
        this.logger.info(
          { jobId, refusedForBudget: closed + 1 },
          'privacy budget exhausted: remaining queries refused',
        );
        return 'budget-exhausted';
      }
    }
  }

  private async fail(jobId: string, code: string): Promise<JobStatus> {
    await this.jobs.transition(jobId, ['queued', 'paused', 'running'], 'failed', code);
    await this.jobs.closePending(jobId, 'failed');
    return 'failed';
  }
}

function bytesToBase64(bytes: Buffer): string {
  return encodeFeatures(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}
