import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches } from 'class-validator';
import type { PartitionEntity, PartitionStatus } from '@conclave/db';
import { UPLOAD_FORMATS, type UploadFormat } from '@conclave/ingest';

/** Dataset and partition names: what the consortium and the owner call them (never private values). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export const NAME_MESSAGE =
  'must be 1-200 letters, digits, dots, dashes or underscores, starting with a letter or digit';

export class DatasetParams {
  @ApiProperty({ example: 'mnist', description: 'The consortium dataset' })
  @IsString()
  @Matches(NAME_PATTERN, { message: `dataset ${NAME_MESSAGE}` })
  dataset: string;
}

export class PartitionParams extends DatasetParams {
  @ApiProperty({ example: 'p-000', description: 'The partition, by its name within the dataset' })
  @IsString()
  @Matches(NAME_PATTERN, { message: `partition ${NAME_MESSAGE}` })
  partition: string;
}

export class CreatePartitionDto {
  @ApiProperty({ example: 'p-000' })
  @IsString()
  @Matches(NAME_PATTERN, { message: `name ${NAME_MESSAGE}` })
  name: string;

  @ApiProperty({
    description:
      "The records' declared schema (libs/ml RecordSchema); it must declare the label. Every partition of a dataset declares the same schema.",
    example: { kind: 'image', width: 28, height: 28, channels: 1, label: { name: 'digit', numClasses: 10 } },
  })
  @IsObject()
  recordSchema: Record<string, unknown>;
}

export class UploadRecordsQuery {
  @ApiPropertyOptional({
    enum: UPLOAD_FORMATS,
    description: 'Needed for multipart/form-data (idx or png); otherwise taken from Content-Type',
  })
  @IsOptional()
  @IsIn(UPLOAD_FORMATS as unknown as string[])
  format?: UploadFormat;
}

export class PartitionDto {
  @ApiProperty() id: string;
  @ApiProperty() dataset: string;
  @ApiProperty() name: string;
  @ApiProperty() recordSchema: Record<string, unknown>;
  @ApiProperty({ description: 'Private records held (they never leave the service)' }) recordCount: number;
  @ApiProperty({ enum: ['loading', 'ready', 'discarded'] }) status: PartitionStatus;
  @ApiProperty() createdAt: Date;
}

export function mapPartition(entity: PartitionEntity): PartitionDto {
  return {
    id: entity.id,
    dataset: entity.datasetName,
    name: entity.name,
    recordSchema: entity.recordSchema,
    recordCount: entity.recordCount,
    status: entity.status,
    createdAt: entity.createdAt,
  };
}

export class UploadResultDto {
  @ApiProperty({ description: 'Records added by this upload' }) appended: number;
  @ApiProperty({ type: PartitionDto }) partition: PartitionDto;
}
