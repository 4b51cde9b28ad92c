import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { DiscardRepository } from '@conclave/db';
import { CapcHeadsService } from '../capc-heads/capc-heads.service.js';
import { TEACHER_LOGGER, type TeacherLogger } from '../teacher.logger.js';
import { TrainingRunner } from '../training/training.runner.js';
import { TeacherModelCache } from '../votes/teacher-model.cache.js';
import { mapDiscard, type DiscardRecordDto, type DiscardRequestDto } from './dto/discard.dto.js';

/** Discards a dataset's teachers (and, on request, its records) once the consortium has its student. */
@Injectable()
export class DiscardService {
  constructor(
    private readonly discards: DiscardRepository,
    private readonly runner: TrainingRunner,
    private readonly cache: TeacherModelCache,
    @Inject(TEACHER_LOGGER) private readonly logger: TeacherLogger,
    @Optional() private readonly capcHeads?: CapcHeadsService,
  ) {}

  async discard(dataset: string, dto: DiscardRequestDto, actor: Principal): Promise<DiscardRecordDto> {
    // A run in progress stops; a model it finishes meanwhile is refused by the discarded partition.
    this.runner.cancel(dataset);
    const record = await this.discards.discardDataset(
      { datasetName: dataset },
      {
        deleteData: dto.deleteData ?? false,
        reason: dto.reason ?? null,
        requestedBy: { keyId: actor.keyId, role: actor.role },
      },
    );
    if (!record) throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    this.cache.invalidate(dataset);
    // The confidential-mode heads go with the models (after the partitions are marked discarded, so that a training
    // finishing meanwhile cannot store new ones; a repeated discard deletes any left over).
    const capcHeadsDeleted = (await this.capcHeads?.deleteForDataset(dataset)) ?? 0;
    this.logger.info(
      {
        dataset,
        discardId: record.id,
        modelsDeleted: record.repeated ? 0 : record.modelsDeleted,
        dataDeleted: record.dataDeleted,
        capcHeadsDeleted,
        keyId: actor.keyId,
        role: actor.role,
      },
      record.repeated ? 'teachers already discarded: the first discard record is returned' : 'teachers discarded',
    );
    return mapDiscard(record);
  }

  async list(): Promise<DiscardRecordDto[]> {
    return (await this.discards.list()).map(mapDiscard);
  }
}
