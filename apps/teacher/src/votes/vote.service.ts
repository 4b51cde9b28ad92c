import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { decodePackedVoteRequest, MAX_VOTE_BATCH } from '@conclave/contracts';
import { DiscardRepository, PartitionRepository, SERVICE_IDENTITY } from '@conclave/db';
import {
  featureShape,
  predictVotes,
  recordSize,
  votesOfQuery,
  type FeatureMatrix,
  type RecordSchema,
} from '@conclave/ml';
import { NAME_MESSAGE, NAME_PATTERN } from '../partitions/dto/partition.dto.js';
import { QUERY_ID_MAX, type QueryVotesDto, type VoteRequestDto, type VoteResponseDto } from './dto/vote.dto.js';
import { TeacherModelCache } from './teacher-model.cache.js';

/**
 * Answers the guardian's vote requests: every ready teacher of the dataset votes on every query, in one batched
 * inference. The teachers and the dataset's schema come from memory (TeacherModelCache): a request reads the
 * database only when they changed, or to explain why there is no teacher to ask. Features and votes are never
 * logged and never appear in an error message.
 */
@Injectable()
export class VoteService {
  constructor(
    private readonly partitions: PartitionRepository,
    private readonly discards: DiscardRepository,
    private readonly cache: TeacherModelCache,
    @Inject(SERVICE_IDENTITY) private readonly service: string,
  ) {}

  async vote(request: VoteRequestDto): Promise<VoteResponseDto> {
    const queryIds = request.queries.map((query) => query.queryId);
    return this.answer(request.dataset, queryIds, (schema) => decodeQueries(request, schema));
  }

  /** The same answer to a packed request (raw float32 features; libs/contracts encodePackedVoteRequest). */
  async votePacked(body: Uint8Array): Promise<VoteResponseDto> {
    const decoded = decodePackedVoteRequest(body);
    if (typeof decoded === 'string') throw new DomainError('MALFORMED_REQUEST', `packed vote request: ${decoded}`);
    const { header, features } = decoded;
    if (!NAME_PATTERN.test(header.dataset)) throw new DomainError('VALIDATION_FAILED', `dataset ${NAME_MESSAGE}`);
    const count = header.queryIds.length;
    if (count < 1 || count > MAX_VOTE_BATCH) {
      throw new DomainError('VALIDATION_FAILED', `queryIds must hold 1 to ${MAX_VOTE_BATCH} queries`);
    }
    const badId = header.queryIds.findIndex((id) => id.length < 1 || id.length > QUERY_ID_MAX);
    if (badId >= 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `queryIds.${badId}: must be a string of 1 to ${QUERY_ID_MAX} characters`,
      );
    }
    return this.answer(header.dataset, header.queryIds, (schema) =>
      decodePacked(header.valuesPerQuery, features, schema),
    );
  }

  /**
   * Every ready teacher's vote on each query. `decode` turns the request's features into one matrix once the
   * dataset's schema is known (errors name the query index only).
   */
  private async answer(
    dataset: string,
    queryIds: string[],
    decode: (schema: RecordSchema) => FeatureMatrix,
  ): Promise<VoteResponseDto> {
    const { schema, teachers, models } = await this.cache.votingTeachers(dataset);
    if (!schema) throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    const repeated = firstRepeat(queryIds);
    if (repeated >= 0) {
      throw new DomainError('VALIDATION_FAILED', `queries[${repeated}]: queryId repeats an earlier query`, {
        query: repeated,
      });
    }
    const features = decode(schema);
    if (models.length === 0) {
      const partitions = await this.partitions.list({ datasetName: dataset });
      if (
        partitions.every((p) => p.status === 'discarded') ||
        (await this.discards.wasDiscarded({ datasetName: dataset }))
      ) {
        throw new DomainError('TEACHER_DISCARDED', `The teachers of dataset '${dataset}' were discarded`);
      }
      throw new DomainError(
        'CONFLICT',
        `No teacher of dataset '${dataset}' is ready: the owner must load records and train (POST /v1/datasets/${dataset}/train)`,
      );
    }
    // Nothing is awaited between taking the models and predicting: a discard cannot dispose them in between.
    const multiLabel = schema.label?.multiLabel === true;
    const matrix = predictVotes(models, features, { multiLabel });
    const votes = queryIds.map((queryId, q): QueryVotesDto => {
      const row = votesOfQuery(matrix, q);
      if (matrix.kind === 'class') return { queryId, classes: Array.from(row) };
      const positives: number[][] = [];
      for (let m = 0; m < matrix.numModels; m++) {
        const labels: number[] = [];
        for (let c = 0; c < matrix.numClasses; c++) if (row[m * matrix.numClasses + c] === 1) labels.push(c);
        positives.push(labels);
      }
      return { queryId, positives };
    });
    return { service: this.service, dataset, teachers: teachers.length, votes };
  }
}

/**
 * The queries' features, decoded straight into one feature matrix: each exactly the schema's number of finite
 * float32 values, in canonical base64; errors name the query index only.
 */
function decodeQueries(request: VoteRequestDto, schema: RecordSchema): FeatureMatrix {
  const shape = featureShape(schema);
  const expected = recordSize(shape);
  const matrix: FeatureMatrix = {
    features: new Float32Array(request.queries.length * expected),
    featureShape: shape,
    count: request.queries.length,
  };
  const bytes = new Uint8Array(matrix.features.buffer);
  request.queries.forEach((query, index) => {
    const invalid = (problem: string) =>
      new DomainError('VALIDATION_FAILED', `queries[${index}]: ${problem}`, { query: index });
    // Node's decoder skips characters outside the alphabet: a payload is valid only if it encodes back to itself.
    const decoded = Buffer.from(query.features, 'base64');
    if (decoded.length % 4 !== 0 || decoded.toString('base64') !== query.features) {
      throw invalid('features must be base64 of little-endian float32 values');
    }
    if (decoded.length !== expected * 4) {
      throw invalid(`features must hold ${expected} float32 values, found ${decoded.length / 4}`);
    }
    bytes.set(decoded, index * expected * 4);
  });
  assertFinite(matrix);
  return matrix;
}

/** The packed request's features as one matrix: `valuesPerQuery` must be the schema's record size. */
function decodePacked(valuesPerQuery: number, features: Uint8Array, schema: RecordSchema): FeatureMatrix {
  const shape = featureShape(schema);
  const expected = recordSize(shape);
  if (valuesPerQuery !== expected) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `features must hold ${expected} float32 values per query, found ${valuesPerQuery}`,
    );
  }
  const count = features.byteLength / (expected * 4);
  // Copied: the body's bytes need not be 4-byte aligned for a Float32Array view (the copy is little-endian as sent).
  const matrix: FeatureMatrix = { features: new Float32Array(count * expected), featureShape: shape, count };
  new Uint8Array(matrix.features.buffer).set(features);
  assertFinite(matrix);
  return matrix;
}

/** Every feature is a finite number; the error names the first bad query's index, never a value. */
function assertFinite(matrix: FeatureMatrix): void {
  const values = matrix.features;
  const perQuery = values.length / Math.max(matrix.count, 1);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const index = Math.floor(i / perQuery);
      throw new DomainError('VALIDATION_FAILED', `queries[${index}]: features must be finite numbers`, {
        query: index,
      });
    }
  }
}

/** Index of the first id equal to an earlier one, or -1. */
function firstRepeat(ids: readonly string[]): number {
  const seen = new Set<string>();
  for (const [index, id] of ids.entries()) {
    if (seen.has(id)) return index;
    seen.add(id);
  }
  return -1;
}
