import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import type { Architecture } from '@conclave/ml';
import { NAME_MESSAGE, NAME_PATTERN } from '../../partitions/dto/partition.dto.js';

/** Training options; anything left out takes libs/ml's default for the kind of data (images: CNN, tabular: MLP). */
export class StartTrainingDto {
  @ApiPropertyOptional({ enum: ['mlp', 'cnn'], description: 'Default: cnn for images, mlp for tabular data' })
  @IsOptional()
  @IsIn(['mlp', 'cnn'])
  architecture?: Architecture;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  epochs?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 4096 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(4096)
  batchSize?: number;

  @ApiPropertyOptional({ description: "Adam's step size (greater than 0)", maximum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE)
  @Max(1)
  learningRate?: number;

  @ApiPropertyOptional({ type: [Number], description: 'MLP hidden layer widths, e.g. [128]' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(4096, { each: true })
  hiddenUnits?: number[];

  @ApiPropertyOptional({ enum: ['none', 'random-shift'], description: 'Images only; default random-shift for CNNs' })
  @IsOptional()
  @IsIn(['none', 'random-shift'])
  augment?: 'none' | 'random-shift';

  @ApiPropertyOptional({ description: 'Seeds initialisation, shuffling and augmentation (reproducible runs)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 2)
  seed?: number;

  @ApiPropertyOptional({ type: [String], description: 'Partitions to train (default: every one holding records)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @Matches(NAME_PATTERN, { each: true, message: `each partition ${NAME_MESSAGE}` })
  partitions?: string[];

  @ApiPropertyOptional({
    description:
      "Also fit each partition's confidential-mode (CaPC) heads, about a second per partition (default true); " +
      'without them the partitions do not answer capc jobs',
  })
  @IsOptional()
  @IsBoolean()
  capcHeads?: boolean;
}

export type TeacherTrainingState = 'untrained' | 'queued' | 'training' | 'ready' | 'failed' | 'discarded';

export class PartitionTrainingDto {
  @ApiProperty() partitionId: string;
  @ApiProperty() name: string;
  @ApiProperty() recordCount: number;
  @ApiProperty({ enum: ['untrained', 'queued', 'training', 'ready', 'failed', 'discarded'] })
  status: TeacherTrainingState;
  @ApiPropertyOptional() architecture?: string;
  @ApiPropertyOptional({ description: '1-based epoch in progress (or the last one)' }) epoch?: number;
  @ApiPropertyOptional() epochs?: number;
  @ApiPropertyOptional({ description: 'Training loss (last batch while training, last epoch mean after)' })
  loss?: number;
  @ApiPropertyOptional({ description: 'Training accuracy, as loss' }) accuracy?: number;
  @ApiPropertyOptional() modelId?: string;
  @ApiPropertyOptional({ description: 'SHA-256 of the stored model' }) contentHash?: string;
  @ApiPropertyOptional() error?: string;
}

export class TrainingJobDto {
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] })
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  @ApiProperty() startedAt: Date;
  @ApiPropertyOptional({ type: Date }) finishedAt?: Date;
  @ApiProperty() partitions: number;
  @ApiProperty() completed: number;
  @ApiProperty() failed: number;
  @ApiProperty() options: Record<string, unknown>;
}

export class TrainingStatusDto {
  @ApiProperty() dataset: string;
  @ApiProperty({ type: TrainingJobDto, nullable: true, description: 'The latest training run since start-up' })
  job: TrainingJobDto | null;
  @ApiProperty({ type: [PartitionTrainingDto] }) partitions: PartitionTrainingDto[];
}
