import { Injectable } from '@nestjs/common';
import { DomainError } from '@conclave/common';
import { PartitionRepository, type PartitionEntity, type PrivateRecordInput } from '@conclave/db';
import { parseRecordSchema, type DataRecord, type RecordSchema } from '@conclave/ml';
import { TeacherEnv } from '../teacher.env.js';
import { mapPartition, type CreatePartitionDto, type PartitionDto, type UploadResultDto } from './dto/partition.dto.js';
import { openRecordUpload, type UploadFormat, type UploadSource } from '@conclave/ingest';

/** The owner's partitions: declare them, load private records into them (all or nothing), list them. */
@Injectable()
export class PartitionService {
  constructor(
    private readonly partitions: PartitionRepository,
    private readonly config: TeacherEnv,
  ) {}

  async create(dataset: string, dto: CreatePartitionDto): Promise<PartitionDto> {
    const schema = parseRecordSchema(dto.recordSchema);
    if (!schema.label) {
      throw new DomainError(
        'VALIDATION_FAILED',
        'record schema: a partition trains a teacher, so it must declare a label',
      );
    }
    const existing = await this.partitions.list({ datasetName: dataset });
    if (existing.length > 0 && !sameSchema(existing[0]!.recordSchema, schema)) {
      throw new DomainError(
        'CONFLICT',
        `The partitions of dataset '${dataset}' declare another record schema: every partition of a dataset shares one`,
      );
    }
    const created = await this.partitions.create(
      { datasetName: dataset },
      { name: dto.name, recordSchema: schema as unknown as Record<string, unknown> },
    );
    return mapPartition(created);
  }

  async list(dataset: string): Promise<PartitionDto[]> {
    return (await this.partitions.list({ datasetName: dataset })).map(mapPartition);
  }

  /**
   * Loads the records of one upload into a partition: validated against its schema while they stream in,
   * inserted in one transaction. A bad row or an oversized upload leaves no record of this upload behind.
   */
  async upload(dataset: string, name: string, source: UploadSource, format?: UploadFormat): Promise<UploadResultDto> {
    const partition = await this.requirePartition(dataset, name);
    refuseDiscarded(partition);
    const schema = parseRecordSchema(partition.recordSchema);
    const records = openRecordUpload(source, { schema, maxBytes: this.config.MAX_UPLOAD_BYTES, format });
    const result = await this.partitions.appendRecords(
      { partitionId: partition.id },
      labeled(records, schema),
      refuseDiscarded,
    );
    const updated = await this.partitions.find({ datasetName: dataset, partitionId: partition.id });
    return { appended: result.appended, partition: mapPartition(updated ?? partition) };
  }

  private async requirePartition(dataset: string, name: string): Promise<PartitionEntity> {
    const partition = await this.partitions.findByName({ datasetName: dataset }, name);
    if (!partition) throw new DomainError('PARTITION_NOT_FOUND', `Dataset '${dataset}' has no partition '${name}'`);
    return partition;
  }
}

function refuseDiscarded(partition: PartitionEntity): void {
  if (partition.status === 'discarded') {
    throw new DomainError('TEACHER_DISCARDED', `Partition '${partition.name}' was discarded: it takes no more records`);
  }
}

/** Schemas compare by their parsed (canonical) form. */
function sameSchema(stored: Record<string, unknown>, schema: RecordSchema): boolean {
  return JSON.stringify(parseRecordSchema(stored)) === JSON.stringify(schema);
}

/** The readers' records as stored; an upload with no record at all is refused. */
async function* labeled(records: AsyncIterable<DataRecord>, schema: RecordSchema): AsyncGenerator<PrivateRecordInput> {
  let count = 0;
  for await (const record of records) {
    if (record.label === undefined) {
      throw new DomainError('VALIDATION_FAILED', `row ${count + 1}, field '${schema.label!.name}': missing label`);
    }
    count += 1;
    yield { features: record.features, label: record.label };
  }
  if (count === 0) throw new DomainError('VALIDATION_FAILED', 'the upload holds no record');
}
