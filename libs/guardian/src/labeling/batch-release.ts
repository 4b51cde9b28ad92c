import type { Logger } from 'pino';
import type { Rng } from '@conclave/dp';
import type { JobStatus, LabelingJobEntity, LabelingJobRepository } from '@conclave/db';
import type { PrivacyBudgetService } from '../budgets/privacy-budget.service.js';
import type { JobMechanism, QueryDecision, VoteHistogram } from './job-mechanism.js';

/** Statuses a labeling job never leaves. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'budget-exhausted', 'cancelled', 'failed'];

/** What deciding a batch needs, in pate and capc mode alike. */
export interface BatchReleaseDeps {
  jobs: LabelingJobRepository;
  budgets: PrivacyBudgetService;
  rng: Rng;
  logger: Logger;
}

/**
 * Decides one batch of pending queries from their histograms and releases it through the budget filter: the
 * mechanism runs, then every query's charge and outcome commit together in one transaction
 * (PrivacyBudgetService.chargeAndReleaseBatch); a query the budget cannot pay for is refused, and then every
 * query still pending is refused and the job stops as budget-exhausted. Returns that status, or null to go on.
 * Both modes call this, so a capc histogram (rebuilt from share sums) is charged exactly as a pate one.
 */
export async function releaseBatch(
  deps: BatchReleaseDeps,
  job: LabelingJobEntity,
  mechanism: JobMechanism,
  queries: ReadonlyArray<{ id: string; histogram: VoteHistogram }>,
): Promise<JobStatus | null> {
  const jobId = job.id;
  const decisions: QueryDecision[] = queries.map((q) => mechanism.run(q.histogram, deps.rng));
  const outcome = await deps.budgets.chargeAndReleaseBatch({
    budgetId: job.budgetId,
    jobId,
    items: queries.map((q, i) => ({
      queryId: q.id,
      event: mechanism.event(q.histogram, decisions[i]!),
      checkEvent: mechanism.checkEvent(q.histogram),
    })),
    release: (tx, charged) =>
      deps.jobs.recordOutcomes(
        tx,
        jobId,
        charged.map((i) => ({
          queryId: queries[i]!.id,
          ...decisions[i]!,
          histogram: { counts: queries[i]!.histogram.counts, voters: queries[i]!.histogram.voters },
        })),
      ),
    onRefused: async (tx, i) => {
      await deps.jobs.recordOutcomes(tx, jobId, [{ queryId: queries[i]!.id, status: 'refused-budget', label: null }]);
    },
  });
  if (!outcome.refused) return null;
  const closed = await deps.jobs.closePending(jobId, 'refused-budget');
  await deps.jobs.transition(jobId, ['running'], 'budget-exhausted', 'BUDGET_EXHAUSTED');
  deps.logger.info({ jobId, refusedForBudget: closed + 1 }, 'privacy budget exhausted: remaining queries refused');
  return 'budget-exhausted';
}

/** Fails a job that cannot run (its budget or dataset is gone, its teachers discarded): nothing stays pending. */
export async function failJob(jobs: LabelingJobRepository, jobId: string, code: string): Promise<JobStatus> {
  await jobs.transition(jobId, ['queued', 'paused', 'running'], 'failed', code);
  await jobs.closePending(jobId, 'failed');
  return 'failed';
}
