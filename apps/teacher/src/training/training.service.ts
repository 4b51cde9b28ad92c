import { Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { PartitionRepository, TeacherModelRepository, type TeacherModelEntity } from '@conclave/db';
import { parseRecordSchema } from '@conclave/ml';
import type {
  PartitionTrainingDto,
  StartTrainingDto,
  TeacherTrainingState,
  TrainingJobDto,
  TrainingStatusDto,
} from './dto/training.dto.js';
import { planTraining, TrainingRunner, type PartitionProgress, type TrainingJob } from './training.runner.js';

/** Starts teacher training for a dataset (one teacher per partition) and reports its progress. */
@Injectable()
export class TrainingService {
  constructor(
    private readonly partitions: PartitionRepository,
    private readonly models: TeacherModelRepository,
    private readonly runner: TrainingRunner,
  ) {}

  async start(dataset: string, dto: StartTrainingDto): Promise<TrainingStatusDto> {
    const all = await this.partitions.list({ datasetName: dataset });
    if (all.length === 0) throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    if (all.every((p) => p.status === 'discarded')) {
      throw new DomainError('TEACHER_DISCARDED', `The teachers of dataset '${dataset}' were discarded`);
    }
    if (this.runner.isActive(dataset)) {
      throw new DomainError(
        'CONFLICT',
        `Dataset '${dataset}' is already training: follow GET /v1/datasets/${dataset}/training`,
      );
    }
    let chosen = all;
    if (dto.partitions) {
      const names = new Set(dto.partitions);
      chosen = all.filter((p) => names.has(p.name));
      const unknown = dto.partitions.filter((n) => !chosen.some((p) => p.name === n));
      if (unknown.length > 0) {
        throw new DomainError('PARTITION_NOT_FOUND', `Dataset '${dataset}' has no partition '${unknown[0]}'`);
      }
      const discarded = chosen.find((p) => p.status === 'discarded');
      if (discarded) throw new DomainError('TEACHER_DISCARDED', `Partition '${discarded.name}' was discarded`);
    }
    const options = {
      architecture: dto.architecture,
      epochs: dto.epochs,
      batchSize: dto.batchSize,
      learningRate: dto.learningRate,
      hiddenUnits: dto.hiddenUnits,
      augment: dto.augment,
      seed: dto.seed,
    };
    // Fails now, not in the background, when the options do not fit the data (e.g. a CNN on tabular data).
    planTraining(parseRecordSchema(all[0]!.recordSchema), options);
    const trainable = chosen.filter((p) => p.status === 'ready' && p.recordCount > 0);
    if (trainable.length === 0) {
      throw new DomainError('CONFLICT', `No partition of dataset '${dataset}' holds records yet: upload records first`);
    }
    this.runner.enqueue(
      dataset,
      trainable.map((p) => ({ id: p.id, name: p.name })),
      options,
      { capcHeads: dto.capcHeads ?? true },
    );
    return this.status(dataset);
  }

  async status(dataset: string): Promise<TrainingStatusDto> {
    // The training job and its progress are taken together, before the database is read: a partition whose
    // training ends in between is then seen as training in a running job (a moment stale, but consistent), never as
    // a model row still in training without progress — which is what a training interrupted by a crash looks like,
    // and is reported failed.
    const job = this.runner.jobOf(dataset);
    const jobView = job ? mapJob(job) : null;
    const active = job && (job.state === 'queued' || job.state === 'running') ? job : undefined;
    const progressOf = new Map(active?.partitions.map((q) => [q.partitionId, { ...q }]) ?? []);
    const all = await this.partitions.list({ datasetName: dataset });
    if (all.length === 0) throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    const latest = await this.models.latestPerPartition({ datasetName: dataset });
    const partitions = all.map((p): PartitionTrainingDto => {
      const progress = progressOf.get(p.id);
      const model = latest.get(p.id);
      return describe(p, model, progress);
    });
    return { dataset, job: jobView, partitions };
  }
}

function describe(
  partition: { id: string; name: string; recordCount: number; status: string },
  model: TeacherModelEntity | undefined,
  progress: PartitionProgress | undefined,
): PartitionTrainingDto {
  const base = { partitionId: partition.id, name: partition.name, recordCount: partition.recordCount };
  if (progress && (progress.state === 'queued' || progress.state === 'training')) {
    return {
      ...base,
      status: progress.state,
      ...(progress.epoch !== undefined ? { epoch: progress.epoch } : {}),
      ...(progress.epochs !== undefined ? { epochs: progress.epochs } : {}),
      ...(progress.loss !== undefined ? { loss: progress.loss, accuracy: progress.accuracy } : {}),
      ...(progress.modelId ? { modelId: progress.modelId } : {}),
    };
  }
  if (!model) return { ...base, status: partition.status === 'discarded' ? 'discarded' : 'untrained' };
  const metrics = (model.metrics ?? {}) as { epochs?: number; loss?: number; accuracy?: number; error?: string };
  const status: TeacherTrainingState =
    partition.status === 'discarded' ? 'discarded' : model.status === 'training' ? 'failed' : model.status;
  return {
    ...base,
    status,
    architecture: model.architecture,
    modelId: model.id,
    ...(model.contentHash ? { contentHash: model.contentHash } : {}),
    ...(metrics.epochs !== undefined ? { epoch: metrics.epochs, epochs: metrics.epochs } : {}),
    ...(metrics.loss !== undefined ? { loss: metrics.loss, accuracy: metrics.accuracy } : {}),
    ...(metrics.error ? { error: metrics.error } : {}),
  };
}

function mapJob(job: TrainingJob): TrainingJobDto {
  return {
    state: job.state,
    startedAt: job.startedAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    partitions: job.partitions.length,
    completed: job.partitions.filter((p) => p.state === 'ready').length,
    failed: job.partitions.filter((p) => p.state === 'failed').length,
    options: Object.fromEntries(Object.entries(job.options).filter(([, v]) => v !== undefined)),
  };
}
