import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DomainError, Principal } from '@conclave/common';
import {
  AuditRepository,
  ConsortiumRepository,
  CoordinatorFactory,
  createTestDatabase,
  LabelingJobRepository,
  PrivacyBudgetRepository,
  UnlabeledDatasetRepository,
  type TestDatabase,
} from '@conclave/db';
import type { UploadSource } from '@conclave/ingest';
import type { LabelingQueue } from '@conclave/guardian';
import { ApiEnv } from '../api.env.js';
import { JobsService } from '../jobs/jobs.service.js';
import { UnlabeledService } from './unlabeled.service.js';

/** A request-like upload: the body arrives in small chunks, as over a socket. */
function uploadOf(body: Buffer | string, contentType: string): UploadSource {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers: { 'content-type': contentType } });
}

function multipart(parts: Array<{ name: string; data: Buffer }>): UploadSource {
  const boundary = '----conclave-evaluation-test';
  const pieces: Buffer[] = [];
  for (const part of parts) {
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      part.data,
      Buffer.from('\r\n'),
    );
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return uploadOf(Buffer.concat(pieces), `multipart/form-data; boundary=${boundary}`);
}

/** IDX files of `n` 2×2 grayscale images (pixel value = record index) and their labels (index mod 3). */
function idx(n: number): { images: Buffer; labels: Buffer } {
  const labels = Buffer.alloc(8 + n);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(n, 4);
  const images = Buffer.alloc(16 + 4 * n);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(n, 4);
  images.writeUInt32BE(2, 8);
  images.writeUInt32BE(2, 12);
  for (let i = 0; i < n; i++) {
    labels[8 + i] = i % 3;
    images.fill(i, 16 + 4 * i, 20 + 4 * i);
  }
  return { images, labels };
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a failure');
}

describe(`evaluation datasets (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let service: UnlabeledService;
  let jobs: JobsService;
  let unlabeled: UnlabeledDatasetRepository;
  let caller: Principal;
  let tabularId: string;
  let imageId: string;
  let budgetId: string;
  const enqueued: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('coordinator');
    const consortia = new ConsortiumRepository(db.dataSource);
    const audit = new AuditRepository(db.dataSource);
    unlabeled = new UnlabeledDatasetRepository(db.dataSource);
    const config = Object.assign(new ApiEnv(), { MAX_UPLOAD_BYTES: 4096 });
    service = new UnlabeledService(unlabeled, consortia, audit, config);
    const budgets = new PrivacyBudgetRepository(db.dataSource);
    jobs = new JobsService(
      new LabelingJobRepository(db.dataSource),
      unlabeled,
      budgets,
      consortia,
      { enqueue: async (id: string) => void enqueued.push(id) } as unknown as LabelingQueue,
      audit,
    );
    const factory = new CoordinatorFactory(db.dataSource);
    const consortium = await factory.newConsortium();
    const party = await factory.newParty(consortium.id, 'querying-party');
    caller = { keyId: '00000000-0000-4000-8000-0000000000b1', role: 'querying-party', partyId: party.id, label: 'q' };
    const tabular = await consortia.createDataset({
      consortiumId: consortium.id,
      name: 'vitals',
      numClasses: 3,
      labelKind: 'single-label',
      recordSchema: {
        kind: 'tabular',
        features: [
          { name: 'age', type: 'number' },
          { name: 'pressure', type: 'number' },
        ],
        label: { name: 'outcome', numClasses: 3 },
      },
    });
    tabularId = tabular.id;
    const image = await consortia.createDataset({
      consortiumId: consortium.id,
      name: 'tiny-images',
      numClasses: 3,
      labelKind: 'single-label',
      recordSchema: { kind: 'image', width: 2, height: 2, channels: 1 },
    });
    imageId = image.id;
    budgetId = (
      await budgets.create({
        consortiumDatasetId: tabular.id,
        name: 'b',
        epsilonLimit: 5,
        delta: 1e-5,
        conversion: 'improved',
        orders: [2, 8],
      })
    ).id;
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  const query = (
    consortiumDatasetId: string,
    name: string,
    format: 'csv' | 'jsonl' | 'idx',
    purpose?: 'evaluation',
  ) => ({
    consortiumDatasetId,
    name,
    format,
    ...(purpose ? { purpose } : {}),
  });

  it("stores an evaluation set's labels (the dataset's label field) with its records; jobs refuse it", async () => {
    const csv = 'age,pressure,outcome\n50,120,2\n61,135,0\n';
    const stored = await service.upload(
      query(tabularId, 'held-out', 'csv', 'evaluation'),
      uploadOf(csv, 'text/csv'),
      caller,
    );
    expect(stored).toMatchObject({ purpose: 'evaluation', recordCount: 2, consortiumDatasetId: tabularId });
    const records = [];
    for await (const record of unlabeled.records(stored.id)) records.push([...record.features, record.label]);
    expect(records).toEqual([
      [50, 120, 2],
      [61, 135, 0],
    ]);
    const pool = await service.upload(
      query(tabularId, 'pool', 'csv'),
      uploadOf('age,pressure\n50,120\n', 'text/csv'),
      caller,
    );
    expect(pool.purpose).toBe('pool');
    expect(pool.contentHash).not.toBe(stored.contentHash);

    const job = { unlabeledDatasetId: stored.id, budgetId, params: { sigma: 10 }, maxQueries: 2 };
    expect((await failure(jobs.create(job, caller))).code).toBe('WRONG_DATASET_PURPOSE');
    expect((await jobs.create({ ...job, unlabeledDatasetId: pool.id }, caller)).status).toBe('queued');
    expect(enqueued).toHaveLength(1);
  });

  it('refuses an evaluation upload with a missing or bad label, naming row and field, and keeps nothing', async () => {
    const missing = await failure(
      service.upload(
        query(tabularId, 'bad-1', 'csv', 'evaluation'),
        uploadOf('age,pressure,outcome\n50,120,2\n61,135,\n', 'text/csv'),
        caller,
      ),
    );
    expect(missing.code).toBe('VALIDATION_FAILED');
    expect(missing.details).toMatchObject({ row: 2, field: 'outcome' });
    const jsonl = '{"age":50,"pressure":120,"outcome":1}\n{"age":50,"pressure":120,"outcome":3}\n';
    const outOfRange = await failure(
      service.upload(query(tabularId, 'bad-2', 'jsonl', 'evaluation'), uploadOf(jsonl, 'application/x-ndjson'), caller),
    );
    expect(outOfRange.details).toMatchObject({ row: 2, field: 'outcome' });
    expect(outOfRange.message).not.toContain('3');
    const tooLarge = await failure(
      service.upload(
        query(tabularId, 'bad-3', 'csv', 'evaluation'),
        uploadOf(`age,pressure,outcome\n${'50,120,1\n'.repeat(600)}`, 'text/csv'),
        caller,
      ),
    );
    expect(tooLarge.code).toBe('PAYLOAD_TOO_LARGE');
    const names = (await service.list(caller)).map((d) => d.name);
    expect(names.filter((n) => n.startsWith('bad-'))).toEqual([]);
  });

  it('takes an IDX evaluation set as multipart labels + images; without a declared label the field is `label`', async () => {
    const { images, labels } = idx(5);
    const stored = await service.upload(
      query(imageId, 'idx-held-out', 'idx', 'evaluation'),
      multipart([
        { name: 'labels', data: labels },
        { name: 'images', data: images },
      ]),
      caller,
    );
    expect(stored).toMatchObject({ purpose: 'evaluation', recordCount: 5, format: 'idx' });
    const labelsRead = [];
    for await (const record of unlabeled.records(stored.id)) labelsRead.push(record.label);
    expect(labelsRead).toEqual([0, 1, 2, 0, 1]);
    // Images alone carry no labels: refused for an evaluation set.
    const unlabeledOnly = await failure(
      service.upload(
        query(imageId, 'idx-bad', 'idx', 'evaluation'),
        multipart([{ name: 'images', data: images }]),
        caller,
      ),
    );
    expect(unlabeledOnly.code).toBe('VALIDATION_FAILED');
    // Without a declared label, CSV / JSONL records carry it in a field named `label`.
    const consortia = new ConsortiumRepository(db.dataSource);
    const unnamed = await consortia.createDataset({
      consortiumId: (await consortia.findDataset(imageId))!.consortiumId,
      name: 'unnamed-label',
      numClasses: 2,
      labelKind: 'single-label',
      recordSchema: { kind: 'tabular', features: [{ name: 'age', type: 'number' }] },
    });
    const csv = await service.upload(
      query(unnamed.id, 'unnamed-held-out', 'csv', 'evaluation'),
      uploadOf('age,label\n1,0\n2,1\n', 'text/csv'),
      caller,
    );
    expect(csv.recordCount).toBe(2);
  });
});
