import { Inject, Injectable, Optional, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DomainError, isDomainError } from '@conclave/common';
import { PartitionRepository, TeacherModelRepository } from '@conclave/db';
import {
  buildDataset,
  createModel,
  defaultModelSpec,
  defaultTrainOptions,
  parseRecordSchema,
  serializeModel,
  trainModel,
  type Architecture,
  type LabeledDataset,
  type ModelSpec,
  type RecordSchema,
  type TrainOptions,
} from '@conclave/ml';
import { CapcHeadsService } from '../capc-heads/capc-heads.service.js';
import { TEACHER_LOGGER, type TeacherLogger } from '../teacher.logger.js';
import { TeacherModelCache } from '../votes/teacher-model.cache.js';

/** What one training run asks for; unset values take libs/ml's defaults for the kind of data. */
export interface TrainingOptions {
  architecture?: Architecture;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  hiddenUnits?: number[];
  augment?: 'none' | 'random-shift';
  seed?: number;
}

export interface PartitionProgress {
  partitionId: string;
  name: string;
  state: 'queued' | 'training' | 'ready' | 'failed' | 'cancelled';
  epoch?: number;
  epochs?: number;
  loss?: number;
  accuracy?: number;
  modelId?: string;
  error?: string;
}

export interface TrainingJob {
  dataset: string;
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  startedAt: Date;
  finishedAt?: Date;
  options: TrainingOptions;
  /** Whether each partition's confidential-mode heads are fitted after its teacher. */
  capcHeads: boolean;
  partitions: PartitionProgress[];
}

class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
  }
}

/** The model spec and training options of a run on data of this schema (throws VALIDATION_FAILED if they do not fit). */
export function planTraining(
  schema: RecordSchema,
  options: TrainingOptions,
): { spec: ModelSpec; train: Omit<TrainOptions, 'onProgress'> } {
  const base = defaultModelSpec(schema, options.architecture);
  const spec: ModelSpec =
    base.architecture === 'mlp' && options.hiddenUnits ? { ...base, hiddenUnits: [...options.hiddenUnits] } : base;
  if (options.hiddenUnits && spec.architecture !== 'mlp') {
    throw new DomainError('VALIDATION_FAILED', 'hiddenUnits applies to the mlp architecture only');
  }
  if (options.seed !== undefined) spec.seed = options.seed;
  const defaults = defaultTrainOptions(spec);
  const train: Omit<TrainOptions, 'onProgress'> = {
    ...defaults,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  if (options.augment === 'none') delete train.augment;
  if (options.augment === 'random-shift') {
    if (schema.kind !== 'image')
      throw new DomainError('VALIDATION_FAILED', 'random-shift augmentation needs image data');
    train.augment = 'random-shift';
  }
  return { spec, train };
}

/**
 * Trains teachers in the background, one partition at a time across all datasets (training saturates a core;
 * the service keeps answering between batches). Progress is kept in memory per dataset; the models and their
 * final metrics are in the database.
 */
@Injectable()
export class TrainingRunner implements OnModuleInit, BeforeApplicationShutdown {
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly cancelled = new Set<TrainingJob>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly partitions: PartitionRepository,
    private readonly models: TeacherModelRepository,
    private readonly cache: TeacherModelCache,
    @Inject(TEACHER_LOGGER) private readonly logger: TeacherLogger,
    /** Fits each partition's confidential-mode heads after its teacher; absent when CapcHeadsModule is not imported. */
    @Optional() private readonly capcHeads?: CapcHeadsService,
  ) {}

  async onModuleInit(): Promise<void> {
    const interrupted = await this.models.failInterruptedTrainings();
    if (interrupted > 0) this.logger.warn({ interrupted }, 'trainings interrupted by a restart were marked failed');
    if (!this.capcHeads) this.logger.warn('CapcHeadsModule is not imported: no confidential-mode heads are trained');
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const job of this.jobs.values()) this.cancel(job.dataset);
    await this.whenIdle();
  }

  /** Resolves when every queued run has finished. */
  whenIdle(): Promise<void> {
    return this.tail;
  }

  /** The latest run of a dataset since start-up. */
  jobOf(dataset: string): TrainingJob | undefined {
    return this.jobs.get(dataset);
  }

  isActive(dataset: string): boolean {
    const job = this.jobs.get(dataset);
    return job !== undefined && (job.state === 'queued' || job.state === 'running');
  }

  /** Queues a run; it starts when the runs before it are done. */
  enqueue(
    dataset: string,
    partitions: Array<{ id: string; name: string }>,
    options: TrainingOptions,
    extras: { capcHeads?: boolean } = {},
  ): TrainingJob {
    const job: TrainingJob = {
      dataset,
      state: 'queued',
      startedAt: new Date(),
      options,
      capcHeads: extras.capcHeads ?? true,
      partitions: partitions.map((p) => ({ partitionId: p.id, name: p.name, state: 'queued' })),
    };
    this.jobs.set(dataset, job);
    this.tail = this.tail.then(() => this.run(job));
    return job;
  }

  /** Stops a dataset's run: the batch in progress finishes, nothing of the partition in training is stored. */
  cancel(dataset: string): void {
    const job = this.jobs.get(dataset);
    if (job && (job.state === 'queued' || job.state === 'running')) this.cancelled.add(job);
  }

  private async run(job: TrainingJob): Promise<void> {
    if (this.cancelled.has(job)) return this.finish(job, 'cancelled');
    job.state = 'running';
    this.logger.info({ dataset: job.dataset, partitions: job.partitions.length }, 'training started');
    for (const progress of job.partitions) {
      if (this.cancelled.has(job)) {
        progress.state = 'cancelled';
        continue;
      }
      await this.trainPartition(job, progress);
    }
    const failed = job.partitions.filter((p) => p.state === 'failed').length;
    this.cache.invalidate(job.dataset);
    this.finish(job, this.cancelled.has(job) ? 'cancelled' : failed === job.partitions.length ? 'failed' : 'completed');
  }

  private finish(job: TrainingJob, state: TrainingJob['state']): void {
    job.state = state;
    job.finishedAt = new Date();
    this.cancelled.delete(job);
    for (const p of job.partitions) if (p.state === 'queued') p.state = 'cancelled';
    const ready = job.partitions.filter((p) => p.state === 'ready').length;
    this.logger.info({ dataset: job.dataset, state, ready, partitions: job.partitions.length }, 'training finished');
  }

  private async trainPartition(job: TrainingJob, progress: PartitionProgress): Promise<void> {
    const scope = { partitionId: progress.partitionId };
    let modelId: string | undefined;
    progress.state = 'training';
    try {
      const partition = await this.partitions.find({ datasetName: job.dataset, partitionId: progress.partitionId });
      if (!partition) throw new DomainError('PARTITION_NOT_FOUND', 'the partition no longer exists');
      const schema = parseRecordSchema(partition.recordSchema);
      const { spec, train } = planTraining(schema, job.options);
      const started = await this.models.startTraining(scope, {
        architecture: spec.architecture,
        hyperparameters: { spec, train } as unknown as Record<string, unknown>,
      });
      modelId = started.id;
      progress.modelId = modelId;
      progress.epochs = train.epochs;
      const data = buildDataset(await this.partitions.loadRecords(scope), schema);
      const model = createModel(spec);
      try {
        const result = await trainModel(model, data, {
          ...train,
          onProgress: (p) => {
            // Thrown between batches: trainModel frees its tensors and optimizer on the way out.
            if (this.cancelled.has(job)) throw new TrainingCancelled();
            progress.epoch = p.epoch;
            progress.loss = p.loss;
            progress.accuracy = p.accuracy;
          },
        });
        const serialized = await serializeModel(model);
        progress.loss = result.loss;
        progress.accuracy = result.accuracy;
        await this.models.completeTraining(
          { partitionId: progress.partitionId, modelId },
          {
            ...serialized,
            metrics: {
              records: data.count,
              epochs: result.epochs,
              steps: result.steps,
              loss: result.loss,
              accuracy: result.accuracy,
              seconds: result.seconds,
              seed: result.seed,
            },
          },
        );
        this.cache.refresh(job.dataset); // the new teacher votes from the next request on
      } finally {
        model.dispose();
      }
      progress.state = 'ready';
      this.logger.info(
        { dataset: job.dataset, partitionId: progress.partitionId, modelId, epochs: train.epochs },
        'teacher trained',
      );
      await this.fitCapcHeads(job, progress, data, schema);
    } catch (error) {
      const cancelled = error instanceof TrainingCancelled;
      progress.state = cancelled ? 'cancelled' : 'failed';
      // Domain errors name fields and limits, never values; anything else is reported as an internal error.
      progress.error = cancelled ? 'cancelled' : isDomainError(error) ? error.message : 'internal error';
      if (modelId) {
        await this.models
          .failTraining({ partitionId: progress.partitionId, modelId }, { error: progress.error })
          .catch(() => undefined);
      }
      if (!cancelled && !isDomainError(error)) {
        this.logger.error({ err: error, dataset: job.dataset, partitionId: progress.partitionId }, 'training failed');
      } else {
        this.logger.warn(
          {
            dataset: job.dataset,
            partitionId: progress.partitionId,
            code: isDomainError(error) ? error.code : 'CANCELLED',
          },
          'training stopped',
        );
      }
    }
  }

  /**
   * Fits the partition's confidential-mode heads on the records its teacher was just trained on (about a second
   * per 240-record partition). A failure is logged and leaves the teacher ready: heads are an addition to it.
   */
  private async fitCapcHeads(
    job: TrainingJob,
    progress: PartitionProgress,
    data: LabeledDataset,
    schema: RecordSchema,
  ): Promise<void> {
    if (!this.capcHeads || !job.capcHeads || this.cancelled.has(job)) return;
    const context = { dataset: job.dataset, partitionId: progress.partitionId };
    try {
      const outcome = await this.capcHeads.fitPartition({ partitionId: progress.partitionId }, data, schema, {
        seed: job.options.seed,
      });
      if (!outcome.stored) {
        this.logger.info({ ...context, reason: outcome.reason }, 'no confidential-mode heads for this data');
        return;
      }
      this.logger.info(
        {
          ...context,
          extractorId: outcome.extractorId,
          heads: outcome.heads.map((h) => h.kind),
          seconds: Math.round(outcome.seconds * 100) / 100,
        },
        'confidential-mode heads trained',
      );
    } catch (error) {
      if (isDomainError(error))
        this.logger.warn({ ...context, code: error.code }, 'confidential-mode heads not stored');
      else this.logger.error({ ...context, err: error }, 'confidential-mode heads failed');
    }
  }
}
