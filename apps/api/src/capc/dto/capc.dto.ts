import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsObject, IsString, IsUUID, IsUrl, Max, MaxLength, Min } from 'class-validator';
import { ValidateOptionalIntInRange } from '@conclave/common';
import {
  CAPC_MAX_BATCH,
  CAPC_MAX_QUERIES_PER_CIPHERTEXT,
  type CapcBatchRequest,
  type CapcRoundRequest,
  type CapcShareSumRequest,
} from '@conclave/contracts';

export class CapcBatchRequestDto implements CapcBatchRequest {
  @ApiProperty({ description: 'uuid chosen by the querying party; used once' }) @IsUUID('all') batchId: string;

  @ApiProperty({ description: "the job's next query (the batch covers [firstOrdinal, firstOrdinal + queryCount))" })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  firstOrdinal: number;

  @ApiProperty({ description: 'base64 of each query ciphertext (CNHE envelope)', type: [String] })
  @IsArray()
  @IsString({ each: true })
  queries: string[];

  @ApiProperty({
    required: false,
    description: 'queries packed into each ciphertext, query s from coefficient s × floor(N / Q) on (default 1)',
  })
  @ValidateOptionalIntInRange(1, CAPC_MAX_QUERIES_PER_CIPHERTEXT)
  queriesPerCiphertext?: number;

  @ApiProperty({ required: false, description: "the batch's queries (default: every slot of every ciphertext)" })
  @ValidateOptionalIntInRange(1, CAPC_MAX_BATCH)
  queryCount?: number;
}

export class CapcRoundRequestDto implements CapcRoundRequest {
  @ApiProperty({ description: "per teacher id: base64 of this round's argmax messages (instance order)" })
  @IsObject()
  messages: Record<string, string>;
}

export class CapcShareSumRequestDto implements CapcShareSumRequest {
  @ApiProperty({ description: 'base64 of queries × classes u32 (little-endian): per query, the sum of one-hot shares' })
  @IsString()
  shareSums: string;
}

export class CapcRoundParamsDto {
  @Type(() => Number) @IsInt() @Min(1) @Max(64) round: number;
}

export class RegisterDealerDto {
  @ApiProperty() @IsUUID('all') consortiumId: string;
  @ApiProperty() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) @MaxLength(500) url: string;
  @ApiProperty({ description: 'the key (role guardian) the dealer issued to the guardian; write-only' })
  @IsString()
  @MaxLength(100)
  guardianApiKey: string;
}
