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

  /**
   * Events newest first, optionally those about one consortium dataset (its own events, and those that name it
   * in `details.datasetId`: students, discards) and/or of one action; `beforeId` pages back.
   */
  async list(filter: {
    datasetId?: string;
    action?: string;
    beforeId?: string;
    limit: number;
  }): Promise<AuditEventEntity[]> {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (filter.datasetId) {
      query.andWhere(`(e.targetId = :datasetId OR e.details ->> 'datasetId' = :datasetId)`, {
        datasetId: filter.datasetId,
      });
    }
    if (filter.action) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.beforeId) query.andWhere('e.id < :beforeId', { beforeId: filter.beforeId });
    return query.orderBy('e.id', 'DESC').take(filter.limit).getMany();
  }
}
