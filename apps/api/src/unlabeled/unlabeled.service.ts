import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { AuditRepository, ConsortiumRepository, UnlabeledDatasetRepository } from '@conclave/db';
import {
  parseRecordSchema,
  readCsvRecords,
  readIdxRecords,
  readJsonlRecords,
  withoutLabel,
  type DataRecord,
  type RecordSchema,
} from '@conclave/ml';
import { ApiEnv } from '../api.env.js';
import { mapUnlabeledDataset, type UnlabeledDatasetDto, type UploadUnlabeledQueryDto } from './dto/unlabeled.dto.js';

/** Unlabeled data from querying parties: streamed, size-limited, validated against the declared schema. */
@Injectable()
export class UnlabeledService {
  constructor(
    private readonly unlabeled: UnlabeledDatasetRepository,
    private readonly consortia: ConsortiumRepository,
    private readonly audit: AuditRepository,
    private readonly config: ApiEnv,
  ) {}

  async upload(query: UploadUnlabeledQueryDto, body: Readable, caller: Principal): Promise<UnlabeledDatasetDto> {
    const partyId = requireParty(caller);
    const party = await this.consortia.findParty(partyId);
    const dataset = await this.consortia.findDataset(query.consortiumDatasetId);
    if (!party || !dataset || dataset.consortiumId !== party.consortiumId) {
      throw new DomainError('NOT_FOUND', 'No such dataset in your consortium');
    }
    const schema = withoutLabel(parseRecordSchema(dataset.recordSchema));
    const hash = createHash('sha256');
    const hashed = (async function* () {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        yield chunk;
      }
    })();
    const records = readerFor(query.format, hashed, schema, this.config.MAX_UPLOAD_BYTES);
    const stored = await this.unlabeled.createWithRecords(
      {
        ownerPartyId: partyId,
        name: query.name,
        format: query.format,
        recordSchema: schema as unknown as Record<string, unknown>,
        contentHash: () => hash.digest('hex'),
      },
      featuresOf(records),
    );
    if (stored.recordCount === 0) throw new DomainError('VALIDATION_FAILED', 'The upload holds no records');
    await this.audit.append({
      actor: caller,
      action: 'unlabeled.uploaded',
      targetType: 'unlabeled-dataset',
      targetId: stored.id,
      details: { records: stored.recordCount, format: query.format },
    });
    return mapUnlabeledDataset(stored);
  }

  async list(caller: Principal): Promise<UnlabeledDatasetDto[]> {
    return (await this.unlabeled.listForOwner(requireParty(caller))).map(mapUnlabeledDataset);
  }
}

export function requireParty(caller: Principal): string {
  if (!caller.partyId) throw new DomainError('FORBIDDEN', 'This key acts for no consortium party');
  return caller.partyId;
}

function readerFor(
  format: string,
  source: AsyncIterable<Buffer>,
  schema: RecordSchema,
  maxBytes: number,
): AsyncIterable<DataRecord> {
  const options = { schema, maxBytes, withLabels: false };
  switch (format) {
    case 'csv':
      return readCsvRecords(source, options);
    case 'jsonl':
      return readJsonlRecords(source, options);
    case 'idx':
      return readIdxRecords({ images: source }, options);
    default:
      throw new DomainError('VALIDATION_FAILED', 'format must be csv, jsonl or idx');
  }
}

async function* featuresOf(records: AsyncIterable<DataRecord>): AsyncGenerator<Float32Array> {
  for await (const record of records) yield record.features;
}
