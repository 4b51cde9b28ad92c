import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { AuditRepository, ConsortiumRepository } from '@conclave/db';
import { parseRecordSchema } from '@conclave/ml';
import {
  mapConsortium,
  mapDataset,
  mapParty,
  type ConsortiumDto,
  type CreateDatasetDto,
  type CreatePartyDto,
  type DatasetDto,
  type PartyDto,
} from './dto/consortium.dto.js';

/** Operators set up consortia: the parties (with data owners' teacher services) and the datasets they hold. */
@Injectable()
export class ConsortiumService {
  constructor(
    private readonly consortia: ConsortiumRepository,
    private readonly audit: AuditRepository,
  ) {}

  async create(name: string, actor: Principal): Promise<ConsortiumDto> {
    const consortium = await this.consortia.createConsortium(name);
    await this.audit.append({ actor, action: 'consortium.created', targetType: 'consortium', targetId: consortium.id });
    return mapConsortium(consortium);
  }

  async list(): Promise<ConsortiumDto[]> {
    return (await this.consortia.listConsortia()).map(mapConsortium);
  }

  async addParty(consortiumId: string, dto: CreatePartyDto, actor: Principal): Promise<PartyDto> {
    await this.requireConsortium(consortiumId);
    if (dto.kind === 'data-owner' && !dto.teacherServiceUrl) {
      throw new DomainError(
        'VALIDATION_FAILED',
        'A data owner needs teacherServiceUrl: the URL of its teacher service',
      );
    }
    if (dto.kind !== 'data-owner' && (dto.teacherServiceUrl || dto.guardianApiKey)) {
      throw new DomainError('VALIDATION_FAILED', 'Only a data owner has a teacher service and a guardian key');
    }
    const party = await this.consortia.createParty({
      consortiumId,
      name: dto.name,
      kind: dto.kind,
      teacherServiceUrl: dto.teacherServiceUrl ?? null,
      guardianApiKey: dto.guardianApiKey ?? null,
    });
    await this.audit.append({
      actor,
      action: 'party.created',
      targetType: 'party',
      targetId: party.id,
      details: { kind: party.kind },
    });
    return mapParty(party);
  }

  async listParties(consortiumId: string): Promise<PartyDto[]> {
    await this.requireConsortium(consortiumId);
    return (await this.consortia.listParties(consortiumId)).map(mapParty);
  }

  async addDataset(consortiumId: string, dto: CreateDatasetDto, actor: Principal): Promise<DatasetDto> {
    await this.requireConsortium(consortiumId);
    // The declared schema is what owners' partitions and querying parties' uploads are validated against.
    const recordSchema = parseRecordSchema(dto.recordSchema);
    const dataset = await this.consortia.createDataset({
      consortiumId,
      name: dto.name,
      numClasses: dto.numClasses,
      labelKind: dto.labelKind ?? 'single-label',
      recordSchema: recordSchema as unknown as Record<string, unknown>,
    });
    await this.audit.append({
      actor,
      action: 'dataset.created',
      targetType: 'consortium-dataset',
      targetId: dataset.id,
    });
    return mapDataset(dataset);
  }

  async listDatasets(consortiumId: string): Promise<DatasetDto[]> {
    await this.requireConsortium(consortiumId);
    return (await this.consortia.listDatasets(consortiumId)).map(mapDataset);
  }

  private async requireConsortium(id: string): Promise<void> {
    if (!(await this.consortia.findConsortium(id))) throw new DomainError('NOT_FOUND', 'No such consortium');
  }
}
