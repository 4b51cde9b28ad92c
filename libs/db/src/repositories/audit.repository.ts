import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { currentCorrelationId, type Principal } from '@conclave/common';
import { AuditEventEntity } from '../entities/coordinator/audit-event.entity.js';

export interface AuditInput {
  actor: Pick<Principal, 'keyId' | 'role'> | null;
  action: string;
  targetType?: string;
  targetId?: string;
  /** Identifiers and counts only: never private values. */
  details?: Record<string, unknown>;
}

/** Append-only audit log of the coordinator database. */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(input: AuditInput, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.getRepository(AuditEventEntity).insert({
      // jsonb column: TypeORM's deep-partial typing does not model free-form objects.
      actorKeyId: input.actor?.keyId ?? null,
      actorRole: input.actor?.role ?? null,
      action: input.action,
      targetType: input.targetType ?? null,
      targetId: input.targetId ?? null,
      details: (input.details ?? {}) as never,
      correlationId: currentCorrelationId() ?? null,
    });
  }

  async recent(limit = 100): Promise<AuditEventEntity[]> {
    return this.dataSource.getRepository(AuditEventEntity).find({ order: { id: 'DESC' }, take: limit });
  }
}
