import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { DiscardRepository, PartitionRepository, SERVICE_IDENTITY } from '@conclave/db';
import {
  featureShape,
  predictVotes,
  recordSize,
  votesOfQuery,
  type FeatureMatrix,
  type RecordSchema,
} from '@conclave/ml';
import type { QueryVotesDto, VoteRequestDto, VoteResponseDto } from './dto/vote.dto.js';
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
    const dataset = request.dataset;
    const { schema, teachers, models } = await this.cache.votingTeachers(dataset);
    if (!schema) throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    const features = decodeQueries(request, schema);
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
    const votes = request.queries.map((query, q): QueryVotesDto => {
      const row = votesOfQuery(matrix, q);
      if (matrix.kind === 'class') return { queryId: query.queryId, classes: Array.from(row) };
      const positives: number[][] = [];
      for (let m = 0; m < matrix.numModels; m++) {
        const labels: number[] = [];
        for (let c = 0; c < matrix.numClasses; c++) if (row[m * matrix.numClasses + c] === 1) labels.push(c);
        positives.push(labels);
      }
      return { queryId: query.queryId, positives };
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
  const seen = new Set<string>();
  request.queries.forEach((query, index) => {
    const invalid = (problem: string) =>
      new DomainError('VALIDATION_FAILED', `queries[${index}]: ${problem}`, { query: index });
    if (seen.has(query.queryId)) throw invalid('queryId repeats an earlier query');
    seen.add(query.queryId);
    // Node's decoder skips characters outside the alphabet: a payload is valid only if it encodes back to itself.
    const decoded = Buffer.from(query.features, 'base64');
    if (decoded.length % 4 !== 0 || decoded.toString('base64') !== query.features) {
      throw invalid('features must be base64 of little-endian float32 values');
    }
    if (decoded.length !== expected * 4) {
      throw invalid(`features must hold ${expected} float32 values, found ${decoded.length / 4}`);
    }
    bytes.set(decoded, index * expected * 4);
    const values = matrix.features.subarray(index * expected, (index + 1) * expected);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw invalid('features must be finite numbers');
    }
  });
  return matrix;
}
