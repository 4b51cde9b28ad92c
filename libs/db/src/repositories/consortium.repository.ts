import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { DomainError } from '@conclave/common';
import type { PartyKind } from '@conclave/contracts';
import { ConsortiumDatasetEntity, type LabelKind } from '../entities/coordinator/consortium-dataset.entity.js';
import { ConsortiumEntity } from '../entities/coordinator/consortium.entity.js';
import { PartyEntity } from '../entities/coordinator/party.entity.js';

export interface TeacherEndpoint {
  partyId: string;
  name: string;
  url: string;
  guardianApiKey: string | null;
}

/** Consortia, their parties and their (privately held) datasets. */
@Injectable()
export class ConsortiumRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createConsortium(name: string): Promise<ConsortiumEntity> {
    return uniqueOrConflict(`A consortium named '${name}' already exists`, () =>
      this.dataSource.getRepository(ConsortiumEntity).save({ name }),
    );
  }

  async listConsortia(): Promise<ConsortiumEntity[]> {
    return this.dataSource.getRepository(ConsortiumEntity).find({ order: { createdAt: 'ASC' } });
  }

  async findConsortium(id: string): Promise<ConsortiumEntity | null> {
    return this.dataSource.getRepository(ConsortiumEntity).findOneBy({ id });
  }

  async createParty(input: {
    consortiumId: string;
    name: string;
    kind: PartyKind;
    teacherServiceUrl: string | null;
    guardianApiKey?: string | null;
  }): Promise<PartyEntity> {
    return uniqueOrConflict(`The consortium already has a party named '${input.name}'`, () =>
      this.dataSource.getRepository(PartyEntity).save(input),
    );
  }

  async listParties(consortiumId: string): Promise<PartyEntity[]> {
    return this.dataSource.getRepository(PartyEntity).find({ where: { consortiumId }, order: { createdAt: 'ASC' } });
  }

  async findParty(id: string): Promise<PartyEntity | null> {
    return this.dataSource.getRepository(PartyEntity).findOneBy({ id });
  }

  /** The teacher services of a consortium's data owners, with the key the guardian presents to each. */
  async teacherEndpoints(consortiumId: string): Promise<TeacherEndpoint[]> {
    const rows = await this.dataSource
      .getRepository(PartyEntity)
      .createQueryBuilder('party')
      .addSelect('party.guardianApiKey')
      .where('party.consortiumId = :consortiumId', { consortiumId })
      .andWhere("party.kind = 'data-owner'")
      .andWhere('party.teacherServiceUrl IS NOT NULL')
      .orderBy('party.name', 'ASC')
      .getMany();
    return rows.map((p) => ({
      partyId: p.id,
      name: p.name,
      url: p.teacherServiceUrl!,
      guardianApiKey: p.guardianApiKey,
    }));
  }

  async createDataset(input: {
    consortiumId: string;
    name: string;
    numClasses: number;
    labelKind: LabelKind;
    recordSchema: Record<string, unknown>;
  }): Promise<ConsortiumDatasetEntity> {
    return uniqueOrConflict(`The consortium already has a dataset named '${input.name}'`, () =>
      this.dataSource
        .getRepository(ConsortiumDatasetEntity)
        .save({ ...input, recordSchema: input.recordSchema as never, teachersDiscardedAt: null }),
    );
  }

  async listDatasets(consortiumId: string): Promise<ConsortiumDatasetEntity[]> {
    return this.dataSource
      .getRepository(ConsortiumDatasetEntity)
      .find({ where: { consortiumId }, order: { createdAt: 'ASC' } });
  }

  async findDataset(id: string): Promise<ConsortiumDatasetEntity | null> {
    return this.dataSource.getRepository(ConsortiumDatasetEntity).findOneBy({ id });
  }
}

/** Turns a unique-constraint violation into a CONFLICT the caller can act on. */
async function uniqueOrConflict<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
      throw new DomainError('CONFLICT', message);
    }
    throw error;
  }
}
