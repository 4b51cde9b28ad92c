import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ConsortiumDatasetEntity } from '../entities/coordinator/consortium-dataset.entity.js';
import { ConsortiumEntity } from '../entities/coordinator/consortium.entity.js';
import { PartyEntity } from '../entities/coordinator/party.entity.js';
import type { PartyKind } from '@conclave/contracts';

/** Test factories for coordinator rows: `ctx.newConsortium()`, `ctx.newDataset()`, … with unique names. */
export class CoordinatorFactory {
  constructor(private readonly dataSource: DataSource) {}

  private unique(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  async newConsortium(name = this.unique('consortium')): Promise<ConsortiumEntity> {
    return this.dataSource.getRepository(ConsortiumEntity).save({ name });
  }

  async newDataset(
    overrides: Partial<Pick<ConsortiumDatasetEntity, 'consortiumId' | 'name' | 'numClasses' | 'labelKind'>> = {},
  ): Promise<ConsortiumDatasetEntity> {
    const consortiumId = overrides.consortiumId ?? (await this.newConsortium()).id;
    return this.dataSource.getRepository(ConsortiumDatasetEntity).save({
      consortiumId,
      name: overrides.name ?? this.unique('dataset'),
      numClasses: overrides.numClasses ?? 10,
      labelKind: overrides.labelKind ?? 'single-label',
      recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
      teachersDiscardedAt: null,
    });
  }

  async newParty(consortiumId: string, kind: PartyKind = 'querying-party'): Promise<PartyEntity> {
    return this.dataSource
      .getRepository(PartyEntity)
      .save({ consortiumId, name: this.unique(kind), kind, teacherServiceUrl: null });
  }
}
