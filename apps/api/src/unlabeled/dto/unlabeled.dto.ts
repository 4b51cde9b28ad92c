import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import type { UnlabeledDatasetEntity, UnlabeledPurpose } from '@conclave/db';

import { UPLOAD_FORMATS, type UploadFormat } from '@conclave/ingest';

export const UNLABELED_PURPOSES = ['pool', 'evaluation'] as const;

export class UploadUnlabeledQueryDto {
  @ApiProperty({ description: 'The consortium dataset whose declared schema the records follow' })
  @IsUUID('all')
  consortiumDatasetId: string;

  @ApiProperty({ example: 'clinic-q-batch-1' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,199}$/, {
    message: 'name must be 1-200 letters, digits, spaces, dots, dashes or underscores',
  })
  name: string;

  @ApiProperty({
    enum: UPLOAD_FORMATS,
    description:
      'csv / jsonl: tabular records (header row / one object per line); idx: an IDX image file as MNIST ships it',
  })
  @IsIn(UPLOAD_FORMATS as unknown as string[])
  format: UploadFormat;

  @ApiPropertyOptional({
    enum: UNLABELED_PURPOSES,
    default: 'pool',
    description:
      "pool: records to label, and the student's unlabeled remainder. evaluation: a held-out set with your own labels, " +
      "used only to evaluate the student (never queried): CSV / JSONL records carry the dataset's label field " +
      "(its recordSchema's label name, else `label`); IDX is multipart/form-data with a file part `labels` (idx1) " +
      'then `images` (idx3); PNG is multipart with a field `labels` (JSON array) then the `image` parts',
  })
  @IsOptional()
  @IsIn(UNLABELED_PURPOSES as unknown as string[])
  purpose?: UnlabeledPurpose;
}

export class UnlabeledDatasetDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: UPLOAD_FORMATS }) format: string;
  @ApiProperty({ enum: UNLABELED_PURPOSES }) purpose: string;
  @ApiProperty({ nullable: true, type: String }) consortiumDatasetId: string | null;
  @ApiProperty() recordCount: number;
  @ApiProperty() status: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'SHA-256 of the stored records (features, and labels of an evaluation set)',
  })
  contentHash: string | null;
  @ApiProperty() createdAt: Date;
}

export function mapUnlabeledDataset(entity: UnlabeledDatasetEntity): UnlabeledDatasetDto {
  return {
    id: entity.id,
    name: entity.name,
    format: entity.format,
    purpose: entity.purpose,
    consortiumDatasetId: entity.consortiumDatasetId,
    recordCount: entity.recordCount,
    status: entity.status,
    contentHash: entity.contentHash,
    createdAt: entity.createdAt,
  };
}
