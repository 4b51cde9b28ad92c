import type { Logger } from 'pino';
import { DomainError } from '@conclave/common';
import { encodePackedVoteRequest, MAX_VOTE_BATCH } from '@conclave/contracts';
import type { Rng } from '@conclave/dp';
import {
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  type JobStatus,
  type LabelingJobEntity,
  type PendingQuery,
  type TeacherEndpoint,
} from '@conclave/db';
import { PrivacyBudgetService } from '../budgets/privacy-budget.service.js';
import { FINAL_JOB_STATUSES, failJob, releaseBatch, type BatchReleaseDeps } from './batch-release.js';
import { buildJobMechanism, type JobMechanism } from './job-mechanism.js';
import type { CollectedVotes, PackedVoteBatch, VoteCollector } from './vote-collector.js';

export interface LabelingRunnerOptions {
  batchSize?: number;
  /** Size of the job's first and last batch (default and at most batchSize); see `BatchPlan`. */
  edgeBatchSize?: number;
}

/**
 * The sizes of a job's batches. The first and the last are small: nothing overlaps the first batch's reading and
 * the teachers' first answer, nor the last batch's charge (the teachers have nothing left to do), so a small batch
 * at either edge shortens the pipeline's fill and drain; the batches between are `batchSize`. From the count of
 * pending queries at the start; the run goes on until a read finds nothing, whatever the plan said.
 */
export class BatchPlan {
  private remaining: number;
  private first = true;

  constructor(
    pending: number,
    private readonly batchSize: number,
    private readonly edge: number,
  ) {
    this.remaining = pending;
  }

  next(): number {
    const edge = Math.min(this.edge, this.batchSize);
    let size: number;
    if (this.first && this.remaining > edge) size = edge;
    else if (this.remaining <= edge) size = Math.max(this.remaining, 1);
    else if (this.remaining <= this.batchSize + edge) size = this.remaining - edge;
    else size = this.batchSize;
    this.first = false;
    this.remaining = Math.max(this.remaining - size, 0);
    return Math.min(size, this.batchSize);
  }
}

/** A batch of pending queries, read with their features, as the teacher services are asked about it. */
interface QueryBatch {
  pending: PendingQuery[];
  request: PackedVoteBatch;
}

/** A batch whose votes are being collected; `abandon` gives up on them and waits until nothing of it runs. */
interface VotesInFlight {
  batch: QueryBatch;
  votes: Promise<CollectedVotes>;
  abandon: () => Promise<void>;
}

/**
 * Runs one labeling job (pate mode) to its end: batches of pending queries → votes from every teacher service
 * → histograms → the job's mechanism (noise from the CSPRNG) → the budget filter, which appends the cost to
 * the ledger and writes the query's outcome in one transaction. Crash-safe by construction: a query's outcome
 * and its charge commit together, so a resumed run simply continues with the queries still pending and never
 * answers or charges one twice.
 *
 * Pipelined: as soon as the votes on batch k are in, the teachers are asked about batch k+1, and batch k is decided
 * and charged while they compute (each batch's queries and features are read from the database while the teachers
 * compute the batch before it). Only vote collection runs ahead — it releases nothing and charges nothing.
 * Everything that decides a release stays strictly in order, one batch at a time: the job's status is checked
 * between a batch's votes and its charge, the quorum is applied to its votes, the mechanism runs, the charge
 * transaction commits. A stop at any of these steps (cancel, pause, quorum, budget exhausted, crash) gives up on
 * the votes asked ahead, which are never used.
 */
export class LabelingRunner {
  constructor(
    private readonly jobs: LabelingJobRepository,
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
    if (FINAL_JOB_STATUSES.includes(job.status)) return job.status;
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
    const plan = new BatchPlan(
      (await this.jobs.countByStatus(jobId)).pending,
      batchSize,
      this.options.edgeBatchSize ?? batchSize,
    );
    const read = (afterOrdinal?: number) => this.readBatch(jobId, dataset.name, plan.next(), afterOrdinal);
    const collect = (batch: QueryBatch | null) => (batch ? this.collect(endpoints, batch, shape) : null);

    const started = await this.jobs.status(jobId);
    if (started !== 'running') return started ?? 'failed'; // cancelled meanwhile
    let inFlight = collect(await read());
    for (;;) {
      if (!inFlight) {
        // Every batch after the last one read is done; a query still pending before it (none, unless a batch
        // left one behind) is taken up again rather than the job completed without it.
        inFlight = collect(await read());
        if (!inFlight) {
          await this.jobs.transition(jobId, ['running'], 'completed');
          this.logger.info({ jobId }, 'labeling job completed');
          return 'completed';
        }
      }
      const { batch } = inFlight;
      // The next batch is read while the teachers compute this one (before the charge transaction, which on the
      // embedded database holds it exclusively).
      const [votes, reading] = await Promise.allSettled([inFlight.votes, read(batch.pending.at(-1)!.ordinal)]);
      if (votes.status === 'rejected') throw votes.reason;
      if (reading.status === 'rejected') throw reading.reason;
      // The teachers start on the next batch at once; this one is decided and charged meanwhile. If the job stops
      // with this batch, the votes asked ahead are given up on before the run returns.
      const ahead = collect(reading.value);
      let stopped: JobStatus | null;
      try {
        stopped = await this.answer(job, mechanism, batch, votes.value);
      } catch (error) {
        await ahead?.abandon();
        throw error;
      }
      if (stopped) {
        await ahead?.abandon();
        return stopped;
      }
      inFlight = ahead;
    }
  }

  /**
   * Decides and charges one batch whose votes are in, exactly as if nothing ran ahead: the job must still be
   * running, every query must have the quorum, then the mechanism runs and the budget filter charges and releases.
   * Returns the status the job stopped in, or null to go on.
   */
  private async answer(
    job: LabelingJobEntity,
    mechanism: JobMechanism,
    { pending }: QueryBatch,
    collected: CollectedVotes,
  ): Promise<JobStatus | null> {
    const jobId = job.id;
    // Checked once per batch, between its votes and its charge: a job cancelled or paused meanwhile releases
    // nothing more.
    const current = await this.jobs.status(jobId);
    if (current !== 'running') return current ?? 'failed';
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
    return releaseBatch(
      this.releaseDeps(),
      job,
      mechanism,
      pending.map((query, i) => ({ id: query.id, histogram: histograms[i]! })),
    );
  }

  /** The job's next pending queries (after `afterOrdinal`, if given) and their vote request; null if none. */
  private async readBatch(
    jobId: string,
    datasetName: string,
    batchSize: number,
    afterOrdinal?: number,
  ): Promise<QueryBatch | null> {
    const pending = await this.jobs.nextPending(jobId, batchSize, afterOrdinal);
    if (pending.length === 0) return null;
    // Stored features are packed little-endian float32: the packed request's bytes already.
    const queries = pending.map((q) => ({ queryId: q.id, features: q.features }));
    const request = { queryIds: queries.map((q) => q.queryId), body: encodePackedVoteRequest(datasetName, queries) };
    return { pending, request };
  }

  private collect(
    endpoints: TeacherEndpoint[],
    batch: QueryBatch,
    shape: { numClasses: number; multiLabel: boolean },
  ): VotesInFlight {
    const controller = new AbortController();
    const votes = this.votes.collect(endpoints, batch.request, shape, { signal: controller.signal });
    votes.catch(() => undefined); // awaited by the run, or abandoned; a failure must not go unhandled meanwhile
    return {
      batch,
      votes,
      abandon: async () => {
        controller.abort();
        await votes.catch(() => undefined);
      },
    };
  }

  private releaseDeps(): BatchReleaseDeps {
    return { jobs: this.jobs, budgets: this.budgets, rng: this.rng, logger: this.logger };
  }

  private fail(jobId: string, code: string): Promise<JobStatus> {
    return failJob(this.jobs, jobId, code);
  }
}
