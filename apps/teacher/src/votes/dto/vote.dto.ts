import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsString,
  Matches,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { MAX_VOTE_BATCH, type VoteRequest, type VoteResponse } from '@conclave/contracts';
import { NAME_MESSAGE, NAME_PATTERN } from '../../partitions/dto/partition.dto.js';

export const QUERY_ID_MAX = 200;

/** Why an item of a vote request's `queries` is not `{ queryId, features }`, or null when it is. */
function voteQueryProblem(item: unknown): string | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'must be an object';
  const keys = Object.keys(item);
  const extra = keys.find((key) => key !== 'queryId' && key !== 'features');
  if (extra !== undefined) return `property ${extra.slice(0, 40)} should not exist`;
  const { queryId, features } = item as { queryId?: unknown; features?: unknown };
  if (typeof queryId !== 'string' || queryId.length < 1 || queryId.length > QUERY_ID_MAX) {
    return `queryId must be a string of 1 to ${QUERY_ID_MAX} characters`;
  }
  if (typeof features !== 'string') return 'features must be a string';
  return null;
}

/**
 * Every query of a vote request is exactly `{ queryId, features }` (both strings, queryId 1–200 characters),
 * checked in one pass: what nested DTO validation (a VoteQueryDto per item) checked, without its per-item cost —
 * about 7 ms per batch of 256 (measured), some 3% of the inference the batch asks for; this pass takes well under
 * 1 ms. The message names the first bad query by index, never its values.
 */
function IsVoteQueryList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isVoteQueryList',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((item) => voteQueryProblem(item) === null),
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (!Array.isArray(value)) return `${String(propertyName)} must be an array`;
          const index = value.findIndex((item) => voteQueryProblem(item) !== null);
          return `${String(propertyName)}.${index}: ${voteQueryProblem(value[index])}`;
        },
      },
    });
}

/** One query of a vote request (documentation; the items are validated by IsVoteQueryList). */
export class VoteQueryDto {
  @ApiProperty({ description: "The guardian's id of the query", minLength: 1, maxLength: QUERY_ID_MAX })
  queryId: string;

  @ApiProperty({ description: "Base64 of little-endian float32 values, in the dataset schema's order" })
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
  @IsVoteQueryList()
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
