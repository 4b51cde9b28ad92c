import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import type { AuditEventEntity } from '@conclave/db';

export class AuditQueryDto {
  @ApiPropertyOptional({
    description:
      'Only the events about this consortium dataset: its own, and those naming it (students, teacher discards)',
  })
  @IsOptional()
  @IsUUID('all')
  datasetId?: string;

  @ApiPropertyOptional({ example: 'teacher.discarded', description: 'Only events of this action' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9.-]{0,63}$/, { message: 'action must be an audit action such as teacher.discarded' })
  action?: string;

  @ApiPropertyOptional({ description: 'Page back: only events older than this event id' })
  @IsOptional()
  @Matches(/^[0-9]{1,19}$/, { message: 'beforeId must be an event id' })
  beforeId?: string;

  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class AuditEventDto {
  @ApiProperty() id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ example: 'teacher.discarded' }) action: string;
  @ApiProperty({ nullable: true, type: String, description: 'The key that acted (or asked)' }) actorKeyId:
    string | null;
  @ApiProperty({ nullable: true, type: String }) actorRole: string | null;
  @ApiProperty({ nullable: true, type: String }) targetType: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId: string | null;
  @ApiProperty({ description: 'Identifiers and counts only, never private values' })
  details: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) correlationId: string | null;
}

export function mapAuditEvent(entity: AuditEventEntity): AuditEventDto {
  return {
    id: entity.id,
    at: entity.at,
    action: entity.action,
    actorKeyId: entity.actorKeyId,
    actorRole: entity.actorRole,
    targetType: entity.targetType,
    targetId: entity.targetId,
    details: entity.details,
    correlationId: entity.correlationId,
  };
}
