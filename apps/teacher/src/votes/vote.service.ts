import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { decodeFeatures } from '@conclave/contracts';
import { DiscardRepository, PartitionRepository, SERVICE_IDENTITY } from '@conclave/db';
import { featureCount, parseRecordSchema, predictVotes, votesOfQuery, type RecordSchema } from '@conclave/ml';
import type { QueryVotesDto, VoteRequestDto, VoteResponseDto } from './dto/vote.dto.js';
import { TeacherModelCache } from './teacher-model.cache.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Answers the guardian's vote requests: every ready teacher of the dataset votes on every query, in one batched
 * inference. Features and votes are never logged and never appear in an error message.
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
    const partitions = await this.partitions.list({ datasetName: dataset });
    if (partitions.length === 0) {
      throw new DomainError('NOT_FOUND', `This service holds no partition of dataset '${dataset}'`);
    }
    const schema = parseRecordSchema(partitions[0]!.recordSchema);
    const features = decodeQueries(request, schema);
    const { teachers, models } = await this.cache.modelsFor(dataset);
    if (models.length === 0) {
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

/** Each query's features: exactly featureCount(schema) finite float32 values; errors name the query index only. */
function decodeQueries(request: VoteRequestDto, schema: RecordSchema): Float32Array[] {
  const expected = featureCount(schema);
  const seen = new Set<string>();
  return request.queries.map((query, index) => {
    const invalid = (problem: string) =>
      new DomainError('VALIDATION_FAILED', `queries[${index}]: ${problem}`, { query: index });
    if (seen.has(query.queryId)) throw invalid('queryId repeats an earlier query');
    seen.add(query.queryId);
    const decoded = BASE64.test(query.features) ? decodeFeatures(query.features) : null;
    if (!decoded) throw invalid('features must be base64 of little-endian float32 values');
    if (decoded.length !== expected) {
      throw invalid(`features must hold ${expected} float32 values, found ${decoded.length}`);
    }
    for (let i = 0; i < decoded.length; i++) {
      if (!Number.isFinite(decoded[i])) throw invalid('features must be finite numbers');
    }
    return decoded;
  });
}
