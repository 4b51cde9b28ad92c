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
import { buildJobMechanism, needsBaseline, type JobMechanism } from './job-mechanism.js';
import type { CollectedVotes, PackedVoteBatch, VoteCollector } from './vote-collector.js';

export interface LabelingRunnerOptions {
  batchSize?: number;
  /** Size of the job's first and last batch (default and at most batchSize); see `BatchPlan`. */
  edgeBatchSize?: number;
  /**
   * Batches whose votes are asked for at once (default 2): each teacher service then has the next batch queued when
   * it answers one, instead of idling until the slowest service has answered and the guardian has sent the next.
   */
  batchesInFlight?: number;
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
 * answers or charges one twice. A query's row is created (pending) when its batch is first read, before its votes
 * are asked for, so a resumed run reads the same row, with the same id, again.
 *
 * Pipelined: the teachers are asked about `batchesInFlight` batches at once (default 2), so a service that answers
 * batch k goes straight on to k+1, already queued, while the guardian waits for the slowest service on k. As soon as
 * the votes on k are in, batch k+depth is asked for, and k is decided and charged while the teachers compute (each
 * batch's queries and features are read from the database meanwhile). Only vote collection runs ahead — it releases
 * nothing and charges nothing.
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
    // Interactive-GNMax: the student's baseline of each query, by ordinal (read once per run).
    const baselines = needsBaseline(job.mechanism) ? await this.jobs.baselines(jobId) : null;
    const shape = { numClasses: dataset.numClasses, multiLabel: dataset.labelKind === 'multi-label' };
    const batchSize = Math.min(this.options.batchSize ?? 256, MAX_VOTE_BATCH);
    const plan = new BatchPlan(
      (await this.jobs.countByStatus(jobId)).pending,
      batchSize,
      this.options.edgeBatchSize ?? batchSize,
    );
    const read = (afterOrdinal?: number) => this.readBatch(jobId, dataset.name, plan.next(), afterOrdinal);
    const collect = (batch: QueryBatch) => this.collect(endpoints, batch, shape);
    const depth = Math.max(1, Math.floor(this.options.batchesInFlight ?? 2));

    const started = await this.jobs.status(jobId);
    if (started !== 'running') return started ?? 'failed'; // cancelled meanwhile
    // Batches whose votes are asked for, oldest first. Reads go on from the last batch read; after the last one a
    // read from the start takes up any query a batch left pending (none, normally) before the job completes.
    const inFlight: VotesInFlight[] = [];
    let lastRead: number | undefined;
    let exhausted = false;
    const readNext = async (): Promise<QueryBatch | null> => {
      if (exhausted) return null;
      const batch = await read(lastRead);
      if (batch) lastRead = batch.pending.at(-1)!.ordinal;
      else exhausted = true;
      return batch;
    };
    const abandonAll = async () => {
      await Promise.all(inFlight.splice(0).map((votes) => votes.abandon()));
    };
    try {
      for (let i = 0; i < depth; i++) {
        const batch = await readNext();
        if (!batch) break;
        inFlight.push(collect(batch));
      }
      for (;;) {
        if (inFlight.length === 0) {
          lastRead = undefined;
          exhausted = false;
          const batch = await readNext();
          if (!batch) {
            await this.jobs.transition(jobId, ['running'], 'completed');
            this.logger.info({ jobId }, 'labeling job completed');
            return 'completed';
          }
          inFlight.push(collect(batch));
        }
        const head = inFlight[0]!;
        // The next batch is read while the teachers compute (before the charge transaction, which on the embedded
        // database holds it exclusively); it is asked for as soon as the oldest batch's votes are in, so that
        // `depth` batches stay in flight while that one is decided and charged.
        const [votes, reading] = await Promise.allSettled([head.votes, readNext()]);
        if (votes.status === 'rejected') throw votes.reason;
        if (reading.status === 'rejected') throw reading.reason;
        inFlight.shift();
        if (reading.value) inFlight.push(collect(reading.value));
        const stopped = await this.answer(job, mechanism, baselines, head.batch, votes.value);
        if (stopped) return stopped;
      }
    } finally {
      // A run that stops (cancel, pause, quorum, budget, error) gives up on the votes asked ahead: they are never
      // used, and nothing of them runs once the run has returned.
      await abandonAll();
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
    baselines: number[][] | null,
    { pending }: QueryBatch,
    collected: CollectedVotes,
  ): Promise<JobStatus | null> {
    const jobId = job.id;
    // Checked once per batch, between its votes and its charge: a job cancelled or paused meanwhile releases
    // nothing more.
    const current = await this.jobs.status(jobId);
    if (current !== 'running') return current ?? 'failed';
    const histograms = pending.map((query) => ({
      ...collected.histograms.get(query.id)!,
      baseline: baselines?.[query.ordinal] ?? null,
    }));
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

  /**
   * The job's next pending queries (after `afterOrdinal`, if given) and their vote request; null if none. The read
   * creates the rows of queries that have none yet (see LabelingJobRepository.nextPending).
   */
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
