import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { generateApiKey, type ApiKeyStore, type StoredApiKey } from '@conclave/common';
import type { Role } from '@conclave/contracts';
import { ApiKeyEntity } from '../entities/api-key.entity.js';

export interface CreatedApiKey {
  id: string;
  /** The full key: returned once, never stored. */
  key: string;
  role: Role;
  label: string;
  partyId: string | null;
}

/** Credentials of the service's own database. The only place API keys are read or written. */
@Injectable()
export class ApiKeyRepository implements ApiKeyStore {
  constructor(private readonly dataSource: DataSource) {}

  async create(
    input: { role: Role; label: string; partyId?: string | null },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CreatedApiKey> {
    const generated = generateApiKey();
    const row = await manager.getRepository(ApiKeyEntity).save({
      prefix: generated.prefix,
      secretHash: generated.secretHash,
      role: input.role,
      label: input.label,
      partyId: input.partyId ?? null,
      revokedAt: null,
    });
    return { id: row.id, key: generated.key, role: row.role, label: row.label, partyId: row.partyId };
  }

  async findActiveByPrefix(prefix: string): Promise<StoredApiKey | null> {
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ prefix, revokedAt: IsNull() });
    return row
      ? { id: row.id, secretHash: row.secretHash, role: row.role, partyId: row.partyId, label: row.label }
      : null;
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(ApiKeyEntity)
      .update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async list(): Promise<Array<Omit<StoredApiKey, 'secretHash'> & { createdAt: Date; revokedAt: Date | null }>> {
    const rows = await this.dataSource.getRepository(ApiKeyEntity).find({ order: { createdAt: 'ASC' } });
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      partyId: r.partyId,
      label: r.label,
      createdAt: r.createdAt,
      revokedAt: r.revokedAt,
    }));
  }

  async countByRole(role: Role): Promise<number> {
    return this.dataSource.getRepository(ApiKeyEntity).countBy({ role, revokedAt: IsNull() });
  }
}
