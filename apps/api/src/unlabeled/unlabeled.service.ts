import { createHash, type Hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { AuditRepository, ConsortiumRepository, UnlabeledDatasetRepository } from '@conclave/db';
import { openRecordUpload, type UploadSource } from '@conclave/ingest';
import { parseRecordSchema, withoutLabel, type DataRecord } from '@conclave/ml';
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

  async upload(query: UploadUnlabeledQueryDto, body: UploadSource, caller: Principal): Promise<UnlabeledDatasetDto> {
    const partyId = requireParty(caller);
    const party = await this.consortia.findParty(partyId);
    const dataset = await this.consortia.findDataset(query.consortiumDatasetId);
    if (!party || !dataset || dataset.consortiumId !== party.consortiumId) {
      throw new DomainError('NOT_FOUND', 'No such dataset in your consortium');
    }
    const schema = withoutLabel(parseRecordSchema(dataset.recordSchema));
    const records = openRecordUpload(body, {
      schema,
      maxBytes: this.config.MAX_UPLOAD_BYTES,
      format: query.format,
      withLabels: false,
    });
    const hash = createHash('sha256');
    const stored = await this.unlabeled.createWithRecords(
      {
        ownerPartyId: partyId,
        name: query.name,
        format: query.format,
        recordSchema: schema as unknown as Record<string, unknown>,
        contentHash: () => hash.digest('hex'),
      },
      featuresOf(records, hash),
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

/** The records' features, hashed as they pass: the dataset's content hash covers exactly what is stored. */
async function* featuresOf(records: AsyncIterable<DataRecord>, hash: Hash): AsyncGenerator<Float32Array> {
  for await (const record of records) {
    hash.update(record.features);
    yield record.features;
  }
}
