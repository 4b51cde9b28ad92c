import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Matches } from 'class-validator';
import type { UnlabeledDatasetEntity } from '@conclave/db';

import { UPLOAD_FORMATS, type UploadFormat } from '@conclave/ingest';

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
}

export class UnlabeledDatasetDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: UPLOAD_FORMATS }) format: string;
  @ApiProperty() recordCount: number;
  @ApiProperty() status: string;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the uploaded bytes' }) contentHash:
    string | null;
  @ApiProperty() createdAt: Date;
}

export function mapUnlabeledDataset(entity: UnlabeledDatasetEntity): UnlabeledDatasetDto {
  return {
    id: entity.id,
    name: entity.name,
    format: entity.format,
    recordCount: entity.recordCount,
    status: entity.status,
    contentHash: entity.contentHash,
    createdAt: entity.createdAt,
  };
}
