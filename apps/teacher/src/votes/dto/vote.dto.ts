import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { MAX_VOTE_BATCH, type VoteRequest, type VoteResponse } from '@conclave/contracts';
import { NAME_MESSAGE, NAME_PATTERN } from '../../partitions/dto/partition.dto.js';

export class VoteQueryDto {
  @ApiProperty({ description: "The guardian's id of the query" })
  @IsString()
  @Length(1, 200)
  queryId: string;

  @ApiProperty({ description: "Base64 of little-endian float32 values, in the dataset schema's order" })
  @IsString()
  features: string;
}

export class VoteRequestDto implements VoteRequest {
  @ApiProperty({ example: 'mnist' })
  @IsString()
  @Matches(NAME_PATTERN, { message: `dataset ${NAME_MESSAGE}` })
  dataset: string;

  @ApiProperty({ type: [VoteQueryDto], maxItems: MAX_VOTE_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VOTE_BATCH)
  @ValidateNested({ each: true })
  @Type(() => VoteQueryDto)
  queries: VoteQueryDto[];
}

export class QueryVotesDto {
  @ApiProperty() queryId: string;
  @ApiPropertyOptional({ type: [Number], description: "Each teacher's predicted class (single-label data)" })
  classes?: number[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
    description: "Each teacher's positive labels (multi-label data)",
  })
  positives?: number[][];
}

export class VoteResponseDto implements VoteResponse {
  @ApiProperty({ example: 'teacher-a' }) service: string;
  @ApiProperty() dataset: string;
  @ApiProperty({ description: 'Teachers (one per partition) that voted on every query' }) teachers: number;
  @ApiProperty({ type: [QueryVotesDto] }) votes: QueryVotesDto[];
}
