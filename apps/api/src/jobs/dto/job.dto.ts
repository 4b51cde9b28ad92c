import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBase64,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { JOB_MECHANISMS } from '@conclave/guardian';
import type { LabelingJobEntity, QueryStatus } from '@conclave/db';

/** The public feature extractor the querying party runs locally (confidential mode). */
export class CapcExtractorDto {
  @ApiProperty() @IsString() @MaxLength(100) id: string;
  @ApiProperty() @Type(() => Number) @IsInt() @Min(1) @Max(8192) dimension: number;
  @ApiProperty() @Type(() => Number) @IsNumber() @Min(0) featureScale: number;
  @ApiProperty() @Type(() => Number) @IsInt() @Min(1) @Max(1 << 20) maxAbsFeature: number;
}

/** Confidential mode: the querying party's HE parameters and public key (its secret key never leaves it). */
export class CapcJobSetupDto {
  @ApiProperty({ description: 'libs/crypto heParametersToJson of a BFV parameter set (e.g. BFV_8192)' })
  @IsObject()
  heParameters: Record<string, unknown>;

  @ApiProperty({ description: 'base64 of the seeded public key envelope' })
  @IsBase64()
  @MaxLength(2_000_000)
  publicKey: string;

  @ApiProperty({ type: CapcExtractorDto })
  @ValidateNested()
  @Type(() => CapcExtractorDto)
  extractor: CapcExtractorDto;
}

export class CreateJobDto {
  @ApiPropertyOptional({ description: 'pate mode: the unlabeled records to label (capc mode uploads none)' })
  @ValidateIf((dto: CreateJobDto) => dto.mode !== 'capc' || dto.unlabeledDatasetId !== undefined)
  @IsUUID('all')
  unlabeledDatasetId?: string;

  @ApiProperty() @IsUUID('all') budgetId: string;

  @ApiPropertyOptional({ enum: ['pate', 'capc'], default: 'pate' })
  @IsOptional()
  @IsIn(['pate', 'capc'])
  mode?: 'pate' | 'capc';

  @ApiPropertyOptional({
    type: CapcJobSetupDto,
    description: 'capc mode only: HE parameters, public key, feature extractor; maxQueries = the number of queries',
  })
  @ValidateIf((dto: CreateJobDto) => dto.mode === 'capc')
  @ValidateNested()
  @Type(() => CapcJobSetupDto)
  capc?: CapcJobSetupDto;

  @ApiPropertyOptional({ enum: JOB_MECHANISMS, default: 'gnmax' })
  @IsOptional()
  @IsIn(JOB_MECHANISMS as unknown as string[])
  mechanism?: (typeof JOB_MECHANISMS)[number];

  @ApiProperty({
    description:
      "gnmax {sigma}; confident-gnmax {threshold, sigma1, sigma2, charging?: 'realised'|'expected'}; lnmax {gamma}; multilabel-gnmax {sigma, tau?}; all take accounting?: 'dataDependent'|'dataIndependent'",
    example: { threshold: 200, sigma1: 150, sigma2: 40 },
  })
  @IsObject()
  params: Record<string, unknown>;

  @ApiProperty({ description: 'Most queries to ask (the first records of the dataset)', example: 640 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxQueries: number;

  @ApiPropertyOptional({
    description:
      "interactive-gnmax only: your student's prediction for each queried record (in record order), in vote units — e.g. its class probabilities times the number of teachers",
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
  })
  @IsOptional()
  @IsArray()
  baselines?: unknown[];

  @ApiPropertyOptional({ description: 'Fewest teacher votes a query needs to be answered', default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  quorum?: number;
}

export class LabelsQueryDto {
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
  @ApiPropertyOptional({ default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit?: number;
}

export class JobDto {
  @ApiProperty() id: string;
  @ApiProperty() status: string;
  @ApiProperty() mode: string;
  @ApiProperty() mechanism: string;
  @ApiProperty() params: Record<string, unknown>;
  @ApiProperty() unlabeledDatasetId: string;
  @ApiProperty() budgetId: string;
  @ApiProperty() maxQueries: number;
  @ApiProperty() quorum: number;
  @ApiProperty({ description: 'Queries by status: pending, answered, refused-threshold, refused-budget, failed' })
  queries: Record<QueryStatus, number>;
  @ApiProperty({ nullable: true, type: String }) errorCode: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export function mapJob(job: LabelingJobEntity, queries: Record<QueryStatus, number>): JobDto {
  return {
    id: job.id,
    status: job.status,
    mode: job.mode,
    mechanism: job.mechanism,
    params: job.params,
    unlabeledDatasetId: job.unlabeledDatasetId,
    budgetId: job.budgetId,
    maxQueries: job.maxQueries,
    quorum: job.quorum,
    queries,
    errorCode: job.errorCode,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

export class LabelDto {
  @ApiProperty() ordinal: number;
  @ApiProperty() recordId: string;
  @ApiProperty({ description: 'answered labels have a label; refused queries have none (never guessed)' })
  status: string;
  @ApiProperty({ nullable: true, description: 'class index, or the positive labels for multi-label data' })
  label: number | number[] | null;
}
