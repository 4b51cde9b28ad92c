import { Injectable, Optional } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import {
  AuditRepository,
  CapcRepository,
  ConsortiumRepository,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  UnlabeledDatasetRepository,
  type LabelingJobEntity,
} from '@conclave/db';
import { capcHeParameters, LabelingQueue, needsBaseline, normaliseMechanismParams } from '@conclave/guardian';
import { requireParty } from '../unlabeled/unlabeled.service.js';
import { mapJob, type CreateJobDto, type JobDto, type LabelDto } from './dto/job.dto.js';

/** Labeling jobs as querying parties see them: create, follow, cancel, fetch released labels. */
@Injectable()
export class JobsService {
  constructor(
    private readonly jobs: LabelingJobRepository,
    private readonly unlabeled: UnlabeledDatasetRepository,
    private readonly budgets: PrivacyBudgetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly queue: LabelingQueue,
    private readonly audit: AuditRepository,
    /** Confidential jobs only (optional so that pate-only callers, e.g. tests, need not provide it). */
    @Optional() private readonly capc?: CapcRepository,
  ) {}

  async create(dto: CreateJobDto, caller: Principal): Promise<JobDto> {
    if (dto.mode === 'capc') return this.createConfidential(dto, caller);
    const partyId = requireParty(caller);
    if (!dto.unlabeledDatasetId) throw new DomainError('VALIDATION_FAILED', 'unlabeledDatasetId is required');
    const unlabeled = await this.unlabeled.findForOwner({ ownerPartyId: partyId, datasetId: dto.unlabeledDatasetId });
    if (!unlabeled || unlabeled.status !== 'ready')
      throw new DomainError('NOT_FOUND', 'No such unlabeled dataset of yours');
    if (unlabeled.purpose !== 'pool') {
      // A held-out set must stay unseen by the teachers, or it no longer measures the student fairly.
      throw new DomainError(
        'WRONG_DATASET_PURPOSE',
        'This is an evaluation dataset: it evaluates students and is never labeled by the teachers',
      );
    }
    const budget = await this.budgets.findById(dto.budgetId);
    const party = await this.consortia.findParty(partyId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!budget || !dataset || !party || dataset.consortiumId !== party.consortiumId) {
      throw new DomainError('NOT_FOUND', 'No such budget in your consortium');
    }
    if (unlabeled.consortiumDatasetId && unlabeled.consortiumDatasetId !== dataset.id) {
      throw new DomainError(
        'VALIDATION_FAILED',
        "The unlabeled records follow another dataset's schema than the budget's",
      );
    }
    if (dataset.teachersDiscardedAt)
      throw new DomainError('TEACHER_DISCARDED', "This dataset's teachers have been discarded");
    const mechanism = dto.mechanism ?? 'gnmax';
    if ((mechanism === 'multilabel-gnmax') !== (dataset.labelKind === 'multi-label')) {
      throw new DomainError('VALIDATION_FAILED', `mechanism ${mechanism} does not fit a ${dataset.labelKind} dataset`);
    }
    const params = normaliseMechanismParams(mechanism, dto.params);
    const maxQueries = Math.min(dto.maxQueries, unlabeled.recordCount);
    const baselines = checkBaselines(mechanism, dto.baselines, maxQueries, dataset.numClasses);
    const job = await this.jobs.create({
      unlabeledDatasetId: unlabeled.id,
      budgetId: budget.id,
      requestedByPartyId: partyId,
      mode: dto.mode ?? 'pate',
      mechanism,
      params,
      maxQueries,
      quorum: dto.quorum ?? 1,
      baselines,
    });
    await this.queue.enqueue(job.id);
    await this.audit.append({
      actor: caller,
      action: 'job.created',
      targetType: 'labeling-job',
      targetId: job.id,
      details: { mechanism },
    });
    return this.describe(job);
  }

  /**
   * Confidential mode: no plaintext is uploaded. The querying party declares how many queries it will ask (maxQueries)
   * and registers its HE parameters and public key; its encrypted queries then go through /v1/jobs/:id/capc.
   */
  private async createConfidential(dto: CreateJobDto, caller: Principal): Promise<JobDto> {
    const partyId = requireParty(caller);
    if (dto.unlabeledDatasetId !== undefined) {
      throw new DomainError('VALIDATION_FAILED', 'capc jobs take no unlabeled dataset: queries are sent encrypted');
    }
    if (!dto.capc)
      throw new DomainError('VALIDATION_FAILED', 'capc jobs need capc: {heParameters, publicKey, extractor}');
    const budget = await this.budgets.findById(dto.budgetId);
    const party = await this.consortia.findParty(partyId);
    const dataset = budget ? await this.consortia.findDataset(budget.consortiumDatasetId) : null;
    if (!budget || !dataset || !party || dataset.consortiumId !== party.consortiumId) {
      throw new DomainError('NOT_FOUND', 'No such budget in your consortium');
    }
    if (dataset.teachersDiscardedAt)
      throw new DomainError('TEACHER_DISCARDED', "This dataset's teachers have been discarded");
    if (dataset.labelKind === 'multi-label') {
      throw new DomainError('VALIDATION_FAILED', 'capc jobs label single-label datasets (secure argmax)');
    }
    const mechanism = dto.mechanism ?? 'gnmax';
    if (mechanism === 'multilabel-gnmax' || needsBaseline(mechanism)) {
      throw new DomainError('VALIDATION_FAILED', `mechanism ${mechanism} is not available in capc mode`);
    }
    const params = normaliseMechanismParams(mechanism, dto.params);
    capcHeParameters(dto.capc.heParameters);
    const publicKey = Buffer.from(dto.capc.publicKey, 'base64');
    if (publicKey.toString('base64') !== dto.capc.publicKey || publicKey.length < 64) {
      throw new DomainError('INVALID_HE_KEY', 'publicKey must be base64 of a public key envelope');
    }
    if (!this.capc) throw new DomainError('INTERNAL', 'Confidential jobs are not available in this process');
    const job = await this.capc.createJob({
      ownerPartyId: partyId,
      consortiumDatasetId: dataset.id,
      budgetId: budget.id,
      mechanism,
      params,
      queries: dto.maxQueries,
      quorum: dto.quorum ?? 1,
      heParameters: dto.capc.heParameters,
      publicKey,
      extractor: { ...dto.capc.extractor },
    });
    await this.queue.enqueue(job.id);
    await this.audit.append({
      actor: caller,
      action: 'job.created',
      targetType: 'labeling-job',
      targetId: job.id,
      details: { mechanism, mode: 'capc' },
    });
    return this.describe(job);
  }

  async get(jobId: string, caller: Principal): Promise<JobDto> {
    return this.describe(await this.visibleJob(jobId, caller));
  }

  async cancel(jobId: string, caller: Principal): Promise<JobDto> {
    const job = await this.visibleJob(jobId, caller);
    if (!(await this.jobs.transition(job.id, ['queued', 'running', 'paused'], 'cancelled'))) {
      throw new DomainError('CONFLICT', `The job is already ${job.status}`);
    }
    await this.audit.append({ actor: caller, action: 'job.cancelled', targetType: 'labeling-job', targetId: job.id });
    return this.get(job.id, caller);
  }

  async labels(jobId: string, page: { offset?: number; limit?: number }, caller: Principal): Promise<LabelDto[]> {
    const job = await this.visibleJob(jobId, caller);
    return this.jobs.labels(job.id, { offset: page.offset ?? 0, limit: page.limit ?? 1000 });
  }

  private async describe(job: LabelingJobEntity): Promise<JobDto> {
    const fresh = (await this.jobs.findById(job.id)) ?? job;
    return mapJob(fresh, await this.jobs.countByStatus(job.id));
  }

  /** The requesting party sees its jobs; an admin sees every job. */
  private async visibleJob(jobId: string, caller: Principal): Promise<LabelingJobEntity> {
    const job =
      caller.role === 'admin'
        ? await this.jobs.findById(jobId)
        : await this.jobs.findForParty({ partyId: requireParty(caller), jobId });
    if (!job) throw new DomainError('NOT_FOUND', 'No such labeling job');
    return job;
  }
}

/** Interactive-GNMax takes one baseline per query: numClasses finite, non-negative numbers. */
function checkBaselines(mechanism: string, baselines: unknown[] | undefined, queries: number, numClasses: number) {
  if (!needsBaseline(mechanism)) {
    if (baselines !== undefined) throw new DomainError('VALIDATION_FAILED', `baselines are only for interactive-gnmax`);
    return undefined;
  }
  if (!baselines || baselines.length !== queries) {
    throw new DomainError('VALIDATION_FAILED', `interactive-gnmax needs baselines: one per query (${queries})`);
  }
  baselines.forEach((row, i) => {
    const ok =
      Array.isArray(row) &&
      row.length === numClasses &&
      row.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    if (!ok) {
      throw new DomainError('VALIDATION_FAILED', `baselines[${i}] must be ${numClasses} finite non-negative numbers`);
    }
  });
  return baselines as number[][];
}
