import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import type { DiscardOutcome, DiscardRecordEntity } from '@conclave/db';

export class DiscardRequestDto {
  @ApiPropertyOptional({ default: false, description: "Also delete the dataset's private records" })
  @IsOptional()
  @IsBoolean()
  deleteData?: boolean;

  @ApiPropertyOptional({ example: 'student model v3 accepted by the consortium' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

export class DiscardRecordDto {
  @ApiProperty() id: string;
  @ApiProperty() dataset: string;
  @ApiProperty({ description: 'Teacher models whose weights were deleted' }) modelsDeleted: number;
  @ApiProperty({ type: [String], description: 'SHA-256 of each deleted model' }) deletedModelHashes: string[];
  @ApiProperty() dataDeleted: boolean;
  @ApiProperty({ nullable: true, type: String }) requestedByKeyId: string | null;
  @ApiProperty({ nullable: true, type: String }) requestedByRole: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({
    description:
      'In a discard response: true when the teachers had already been discarded — this is the record of that first discard, nothing was deleted now',
  })
  repeated?: boolean;
}

export function mapDiscard(entity: DiscardRecordEntity | DiscardOutcome): DiscardRecordDto {
  return {
    ...('repeated' in entity ? { repeated: entity.repeated } : {}),
    id: entity.id,
    dataset: entity.datasetName,
    modelsDeleted: entity.modelsDeleted,
    deletedModelHashes: entity.deletedModelHashes,
    dataDeleted: entity.dataDeleted,
    requestedByKeyId: entity.requestedByKeyId,
    requestedByRole: entity.requestedByRole,
    reason: entity.reason,
    createdAt: entity.createdAt,
  };
}
