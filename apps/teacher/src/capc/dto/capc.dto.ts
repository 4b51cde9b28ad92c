import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CAPC_MAX_BATCH,
  CAPC_MAX_QUERIES_PER_CIPHERTEXT,
  type CapcEvaluateRequest,
  type CapcExtractorDescriptor,
  type CapcFramedEvaluateRequestHeader,
  type CapcTeacherRoundRequest,
} from '@conclave/contracts';
import { ValidateOptionalIntInRange } from '@conclave/common';
import { NAME_MESSAGE, NAME_PATTERN } from '../../partitions/dto/partition.dto.js';

export class CapcExtractorDto implements CapcExtractorDescriptor {
  @ApiProperty() @IsString() @MaxLength(100) id: string;
  @ApiProperty() @Type(() => Number) @IsInt() @Min(1) @Max(8192) dimension: number;
  @ApiProperty() @Type(() => Number) @IsNumber() @Min(0) featureScale: number;
  @ApiProperty() @Type(() => Number) @IsInt() @Min(1) @Max(1 << 20) maxAbsFeature: number;
}

/** A framed evaluate request's JSON header (its public key and queries travel as frames). */
export class CapcFramedEvaluateHeaderDto implements CapcFramedEvaluateRequestHeader {
  @ApiProperty() @IsUUID('all') sessionId: string;
  @ApiProperty() @IsUUID('all') jobId: string;
  @ApiProperty() @IsString() @Matches(NAME_PATTERN, { message: NAME_MESSAGE }) dataset: string;
  @ApiProperty() @IsObject() heParameters: Record<string, unknown>;

  @ApiProperty({ type: CapcExtractorDto })
  @ValidateNested()
  @Type(() => CapcExtractorDto)
  extractor: CapcExtractorDto;

  @ApiProperty() @Type(() => Number) @IsInt() @Min(2) @Max(1000) classes: number;

  @ApiProperty({ required: false, description: 'queries packed into each query ciphertext (default 1)' })
  @ValidateOptionalIntInRange(1, CAPC_MAX_QUERIES_PER_CIPHERTEXT)
  queriesPerCiphertext?: number;

  @ApiProperty({ required: false, description: "the batch's queries (default: every slot of every ciphertext)" })
  @ValidateOptionalIntInRange(1, CAPC_MAX_BATCH)
  queryCount?: number;
}

export class CapcEvaluateRequestDto extends CapcFramedEvaluateHeaderDto implements CapcEvaluateRequest {
  @ApiProperty() @IsString() @MaxLength(2_000_000) publicKey: string;

  @ApiProperty({ type: [String], description: 'base64 of each query ciphertext (CNHE envelope)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CAPC_MAX_BATCH)
  @IsString({ each: true })
  @MaxLength(1_400_000, { each: true, message: 'a query ciphertext is larger than 1 MiB' })
  queries: string[];
}

export class CapcTeacherRoundRequestDto implements CapcTeacherRoundRequest {
  @ApiProperty({ description: "base64: the querying party's argmax messages of this round" })
  @IsString()
  @MaxLength(16_000_000)
  message: string;
}

export class CapcDealerDto {
  @ApiProperty() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) @MaxLength(500) url: string;
  @ApiProperty({ description: 'the key the dealer issued to this service (its party id = this owner)' })
  @IsString()
  @MaxLength(100)
  key: string;
}
