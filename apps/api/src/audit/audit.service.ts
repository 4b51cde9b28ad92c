import { Injectable } from '@nestjs/common';
import { AuditRepository } from '@conclave/db';
import { mapAuditEvent, type AuditEventDto, type AuditQueryDto } from './dto/audit.dto.js';

/** The append-only audit log, as operators read it. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  async list(query: AuditQueryDto): Promise<AuditEventDto[]> {
    const events = await this.audit.list({
      datasetId: query.datasetId,
      action: query.action,
      beforeId: query.beforeId,
      limit: query.limit ?? 100,
    });
    return events.map(mapAuditEvent);
  }
}
