import { createHash, type Hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, type Principal } from '@conclave/common';
import { AuditRepository, ConsortiumRepository, UnlabeledDatasetRepository } from '@conclave/db';
import { openRecordUpload, type UploadSource } from '@conclave/ingest';
import { parseRecordSchema, withoutLabel, type DataRecord, type RecordSchema } from '@conclave/ml';
import { ApiEnv } from '../api.env.js';
import { mapUnlabeledDataset, type UnlabeledDatasetDto, type UploadUnlabeledQueryDto } from './dto/unlabeled.dto.js';

/**
 * Unlabeled data from querying parties: streamed, size-limited, validated against the declared schema, stored all
 * or nothing. An evaluation dataset also carries the party's own labels (one class per record).
 */
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
    const purpose = query.purpose ?? 'pool';
    const declared = parseRecordSchema(dataset.recordSchema);
    let schema: RecordSchema;
    if (purpose === 'evaluation') {
      if (dataset.labelKind !== 'single-label') {
        throw new DomainError('VALIDATION_FAILED', 'evaluation datasets hold single-label records only');
      }
      schema = evaluationSchema(declared, dataset.numClasses);
    } else {
      schema = withoutLabel(declared);
    }
    const records = openRecordUpload(body, {
      schema,
      maxBytes: this.config.MAX_UPLOAD_BYTES,
      format: query.format,
      withLabels: purpose === 'evaluation',
    });
    const hash = createHash('sha256');
    const stored = await this.unlabeled.createWithRecords(
      {
        ownerPartyId: partyId,
        consortiumDatasetId: dataset.id,
        name: query.name,
        purpose,
        format: query.format,
        recordSchema: schema as unknown as Record<string, unknown>,
        contentHash: () => hash.digest('hex'),
      },
      storedRecords(records, hash, purpose === 'evaluation'),
    );
    if (stored.recordCount === 0) throw new DomainError('VALIDATION_FAILED', 'The upload holds no records');
    await this.audit.append({
      actor: caller,
      action: 'unlabeled.uploaded',
      targetType: 'unlabeled-dataset',
      targetId: stored.id,
      details: { records: stored.recordCount, format: query.format, purpose, datasetId: dataset.id },
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

/**
 * The label an evaluation set's records carry: the dataset's declared one (its field name in CSV / JSONL), or, when
 * the schema declares none, `label` over the dataset's classes.
 */
export function evaluationSchema(declared: RecordSchema, numClasses: number): RecordSchema {
  return { ...declared, label: { name: declared.label?.name ?? 'label', numClasses } };
}

/**
 * The records as stored, hashed as they pass: the dataset's content hash covers exactly what is stored (the
 * features, and an evaluation set's labels as one little-endian int32 after each record).
 */
async function* storedRecords(
  records: AsyncIterable<DataRecord>,
  hash: Hash,
  withLabels: boolean,
): AsyncGenerator<Float32Array | { features: Float32Array; label: number }> {
  const labelBytes = Buffer.alloc(4);
  for await (const record of records) {
    hash.update(record.features);
    if (!withLabels) {
      yield record.features;
      continue;
    }
    const label = record.label as number;
    labelBytes.writeInt32LE(label, 0);
    hash.update(labelBytes);
    yield { features: record.features, label };
  }
}
