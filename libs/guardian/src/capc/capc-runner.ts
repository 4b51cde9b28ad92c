import type { Logger } from 'pino';
import { DomainError } from '@conclave/common';
import { decodeU32 } from '@conclave/contracts';
import type { Rng } from '@conclave/dp';
import {
  CapcRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  type CapcBatchEntity,
  type JobStatus,
  type LabelingJobEntity,
} from '@conclave/db';
import { PrivacyBudgetService } from '../budgets/privacy-budget.service.js';
import { FINAL_JOB_STATUSES, failJob, releaseBatch, type BatchReleaseDeps } from '../labeling/batch-release.js';
import { buildJobMechanism, type JobMechanism, type VoteHistogram } from '../labeling/job-mechanism.js';
import { capcModulus } from './capc-parameters.js';

export interface CapcRunnerOptions {
  /** With no decision for this long (and no batch ready), the job pauses; the next batch or share sums resume it. */
  idleMs?: number;
  now?: () => number;
}

/**
 * The guardian's side of a confidential (capc) job: for every batch whose share sums are all in, it reconstructs each
 * query's vote histogram = Σ teacher services' share sums + the querying party's share sum (mod p), and from there
 * follows exactly the pate path — the job's mechanism with noise from the CSPRNG, the budget filter charging the ledger
 * and writing the outcomes in one transaction (idempotent on resume: a query charged before is not charged again).
 * It never sees a query, and no single teacher's vote: every share sum alone is uniformly random, and the querying
 * party's sum covers every teacher of every service at once.
 *
 * A run decides what is ready and returns: it never waits for the querying party (that would hold a queue worker
 * that pate jobs need). The job stays `running` while it waits; the api queues it again whenever share sums arrive,
 * and the worker schedules a watchdog run that pauses a job left idle.
 */
export class CapcRunner {
  constructor(
    private readonly jobs: LabelingJobRepository,
    private readonly capc: CapcRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly budgetRows: PrivacyBudgetRepository,
    private readonly budgets: PrivacyBudgetService,
    private readonly rng: Rng,
    private readonly logger: Logger,
    private readonly options: CapcRunnerOptions = {},
  ) {}

  /** Decides every ready batch; returns the job's status (`running` = waiting for the querying party's batches). */
  async run(jobId: string): Promise<JobStatus> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new DomainError('NOT_FOUND', `No labeling job ${jobId}`);
    if (FINAL_JOB_STATUSES.includes(job.status)) return job.status;
    if (job.mode !== 'capc')
      throw new DomainError('VALIDATION_FAILED', `Job mode ${job.mode} is not run by this worker`);
    // Only a change of status touches the row: its updated_at then tells when the job last made progress.
    if (job.status !== 'running') await this.jobs.transition(jobId, ['queued', 'paused'], 'running');
    const setup = await this.capc.findJob(jobId);
    const budget = await this.budgetRows.findById(job.budgetId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!setup || !budget || !dataset) return this.fail(jobId, 'NOT_FOUND');
    if (dataset.teachersDiscardedAt) return this.fail(jobId, 'TEACHER_DISCARDED');
    const mechanism = buildJobMechanism(job.mechanism, job.params);
    const modulus = capcModulus(setup.heParameters);
    const idleMs = this.options.idleMs ?? 15 * 60_000;
    const now = this.options.now ?? Date.now;
    for (;;) {
      const current = await this.jobs.findById(jobId);
      if (!current || current.status !== 'running') return current?.status ?? 'failed';
      const batches = await this.capc.sharedBatches(jobId);
      for (const batch of batches) {
        const stopped = await this.decide(job, mechanism, modulus, dataset.numClasses, batch);
        if (stopped) return stopped;
      }
      const counts = await this.jobs.countByStatus(jobId);
      if (counts.pending === 0) {
        await this.jobs.transition(jobId, ['running'], 'completed');
        this.logger.info({ jobId }, 'capc labeling job completed');
        return 'completed';
      }
      if (batches.length > 0) continue; // more may have arrived meanwhile
      if (now() - current.updatedAt.getTime() > idleMs) {
        await this.jobs.transition(jobId, ['running'], 'paused', 'CAPC_IDLE');
        return 'paused';
      }
      return 'running';
    }
  }

  /** Reconstructs, decides and charges one batch. Returns the status the job stopped in, or null to go on. */
  private async decide(
    job: LabelingJobEntity,
    mechanism: JobMechanism,
    modulus: number,
    classes: number,
    batch: CapcBatchEntity,
  ): Promise<JobStatus | null> {
    const jobId = job.id;
    const histograms = reconstructHistograms(batch, modulus, classes);
    if (!histograms) {
      // Share sums that do not add up to one vote per teacher: a party deviated. Nothing is released; the querying
      // party may ask these queries again in a new batch.
      this.logger.warn({ jobId, batchId: batch.id }, 'capc batch: share sums do not reconstruct a histogram');
      await this.capc.failBatch(batch.id, 'INVALID_PROTOCOL_MESSAGE');
      return null;
    }
    const queries = await this.capc.queriesOf(jobId, batch.firstOrdinal, batch.queryCount);
    const pending = queries.map((q, i) => ({ ...q, histogram: histograms[i]! })).filter((q) => q.status === 'pending');
    const short = pending.find((q) => q.histogram.voters < job.quorum);
    if (short) {
      await this.capc.failBatch(batch.id, 'QUORUM_NOT_MET');
      this.logger.warn({ jobId, voters: short.histogram.voters, quorum: job.quorum }, 'capc batch: quorum not met');
      return null;
    }
    const stopped = await releaseBatch(this.releaseDeps(), job, mechanism, pending);
    await this.capc.markDecided(batch.id);
    return stopped;
  }

  private releaseDeps(): BatchReleaseDeps {
    return { jobs: this.jobs, budgets: this.budgets, rng: this.rng, logger: this.logger };
  }

  private fail(jobId: string, code: string): Promise<JobStatus> {
    return failJob(this.jobs, jobId, code);
  }
}

/**
 * Per query: counts_c = (Σ_teacher services s_c + q_c) mod p, centred; null unless every count is in [0, voters] and
 * they add up to voters (one vote per teacher partition). Exported for tests.
 */
export function reconstructHistograms(
  batch: Pick<CapcBatchEntity, 'teachers' | 'teacherShareSums' | 'queryingShareSums' | 'queryCount'>,
  modulus: number,
  classes: number,
): VoteHistogram[] | null {
  const voters = batch.teachers.reduce((sum, t) => sum + t.partitions, 0);
  const parts: Uint32Array[] = [];
  for (const t of batch.teachers) {
    const encoded = batch.teacherShareSums[t.partyId];
    const sums = encoded === undefined ? null : decodeU32(Buffer.from(encoded, 'base64'));
    if (!sums || sums.length !== batch.queryCount * classes) return null;
    parts.push(sums);
  }
  const querying = batch.queryingShareSums ? decodeU32(new Uint8Array(batch.queryingShareSums)) : null;
  if (!querying || querying.length !== batch.queryCount * classes) return null;
  parts.push(querying);
  const histograms: VoteHistogram[] = [];
  for (let q = 0; q < batch.queryCount; q++) {
    const counts: number[] = [];
    for (let c = 0; c < classes; c++) {
      let sum = 0;
      for (const part of parts) sum = (sum + part[q * classes + c]!) % modulus;
      const centred = sum > modulus / 2 ? sum - modulus : sum;
      if (centred < 0 || centred > voters) return null;
      counts.push(centred);
    }
    if (counts.reduce((a, b) => a + b, 0) !== voters) return null;
    histograms.push({ counts, voters });
  }
  return histograms;
}
