import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { loadConfig, domainErrorOf } from '@conclave/common';
import {
  createTestDatabase,
  DiscardRepository,
  PartitionRepository,
  TEST_TABULAR_SCHEMA,
  type TestDatabase,
} from '@conclave/db';
import { loadMnist, MNIST_SCHEMA } from '@conclave/ml';
import { TeacherEnv } from '../teacher.env.js';
import { idxFilesOf, multipartBody, uploadOf } from '../testing/upload-source.testing.js';
import { PartitionService } from './partition.service.js';

const CSV_HEADER = 'age,pressure,outcome\n';

describe('PartitionService (loading private records)', () => {
  let db: TestDatabase;
  let partitions: PartitionRepository;
  let service: PartitionService;
  let dataset: string;
  let counter = 0;

  const newPartition = async (recordSchema: Record<string, unknown> = TEST_TABULAR_SCHEMA, name?: string) =>
    service.create(dataset, { name: name ?? `p-${(counter += 1)}`, recordSchema });
  const stored = async (partitionId: string) => partitions.countRecords({ partitionId });

  beforeAll(async () => {
    db = await createTestDatabase('teacher');
    partitions = new PartitionRepository(db.dataSource);
    const config = loadConfig('teacher', TeacherEnv, { MAX_UPLOAD_BYTES: String(64 * 1024) });
    service = new PartitionService(partitions, config);
    dataset = `tabular-${db.engine}`;
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('loads a valid CSV upload and counts it', async () => {
    const p = await newPartition();
    const rows = Array.from({ length: 1200 }, (_, i) => `${20 + (i % 60)},${100 + (i % 40)},${i % 3}`).join('\n');
    const result = await service.upload(dataset, p.name, uploadOf(`${CSV_HEADER}${rows}\n`, 'text/csv', 1000));
    expect(result).toMatchObject({ appended: 1200, partition: { recordCount: 1200, status: 'ready' } });
    expect(await stored(p.id)).toBe(1200);
    const listed = await service.list(dataset);
    expect(listed.find((x) => x.id === p.id)).toMatchObject({ recordCount: 1200, status: 'ready' });
    for (const entry of listed) {
      expect(Object.keys(entry).sort()).toEqual(
        ['createdAt', 'dataset', 'id', 'name', 'recordCount', 'recordSchema', 'status'].sort(),
      );
    }
  });

  it('keeps nothing of a CSV upload whose last row is bad, and names the row and field but not the value', async () => {
    const p = await newPartition();
    // More rows than one insert batch: the first batches were written before the bad row arrived.
    const good = Array.from({ length: 1500 }, (_, i) => `${i},${i + 1},${i % 3}`).join('\n');
    const error = await domainErrorOf(
      service.upload(dataset, p.name, uploadOf(`${CSV_HEADER}${good}\n41,secret-417,2\n`, 'text/csv', 512)),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ row: 1501, field: 'pressure' });
    expect(error.message).not.toContain('secret-417');
    expect(await stored(p.id)).toBe(0);
    expect((await service.list(dataset)).find((x) => x.id === p.id)).toMatchObject({
      recordCount: 0,
      status: 'loading',
    });
  });

  it('keeps nothing of a JSONL upload whose last label is out of range, and appends a valid one', async () => {
    const p = await newPartition();
    const lines = Array.from({ length: 700 }, (_, i) => JSON.stringify({ age: i, pressure: 2 * i, outcome: i % 3 }));
    const bad = [...lines, JSON.stringify({ age: 1, pressure: 2, outcome: 7 })].join('\n');
    const error = await domainErrorOf(service.upload(dataset, p.name, uploadOf(bad, 'application/x-ndjson', 700)));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ row: 701, field: 'outcome' });
    expect(await stored(p.id)).toBe(0);

    expect((await service.upload(dataset, p.name, uploadOf(lines.join('\n'), 'application/x-ndjson'))).appended).toBe(
      700,
    );
    expect(
      (await service.upload(dataset, p.name, uploadOf(lines.slice(0, 5).join('\n'), 'application/x-ndjson'))).partition
        .recordCount,
    ).toBe(705);
    expect(await stored(p.id)).toBe(705);
  });

  it('refuses an upload over MAX_UPLOAD_BYTES with PAYLOAD_TOO_LARGE and keeps nothing of it', async () => {
    const p = await newPartition();
    const rows = Array.from({ length: 9000 }, (_, i) => `${i},${i},${i % 3}`).join('\n');
    expect(rows.length).toBeGreaterThan(64 * 1024);
    const streamed = await domainErrorOf(service.upload(dataset, p.name, uploadOf(`${CSV_HEADER}${rows}`, 'text/csv')));
    expect(streamed.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await stored(p.id)).toBe(0);
    const declared = uploadOf('x', 'text/csv');
    declared.headers['content-length'] = String(10 * 1024 * 1024);
    expect((await domainErrorOf(service.upload(dataset, p.name, declared))).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses unsupported media types, empty uploads and unknown partitions', async () => {
    const p = await newPartition();
    expect((await domainErrorOf(service.upload(dataset, p.name, uploadOf('a', 'text/plain')))).code).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect((await domainErrorOf(service.upload(dataset, p.name, uploadOf(CSV_HEADER, 'text/csv')))).code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await domainErrorOf(service.upload(dataset, 'nope', uploadOf(CSV_HEADER, 'text/csv')))).code).toBe(
      'PARTITION_NOT_FOUND',
    );
    const multipart = multipartBody([{ name: 'labels', data: '[]' }]);
    expect(
      (await domainErrorOf(service.upload(dataset, p.name, uploadOf(multipart.body, multipart.contentType)))).code,
    ).toBe('VALIDATION_FAILED');
  });

  it('requires a label, and one schema per dataset', async () => {
    const { label: _label, ...unlabeled } = TEST_TABULAR_SCHEMA;
    expect((await domainErrorOf(newPartition(unlabeled))).code).toBe('VALIDATION_FAILED');
    expect((await domainErrorOf(newPartition({ kind: 'tabular', features: 'x' }))).code).toBe('VALIDATION_FAILED');
    await newPartition();
    expect((await domainErrorOf(newPartition(MNIST_SCHEMA as unknown as Record<string, unknown>))).code).toBe(
      'CONFLICT',
    );
    expect((await domainErrorOf(newPartition(TEST_TABULAR_SCHEMA, 'p-1'))).code).toBe('CONFLICT');
  });

  describe('images', () => {
    const images = `images-${Date.now()}`;
    let imageService: PartitionService;
    beforeAll(() => {
      imageService = new PartitionService(partitions, loadConfig('teacher', TeacherEnv, {}));
    });
    const createImagePartition = (name: string) =>
      imageService.create(images, { name, recordSchema: MNIST_SCHEMA as unknown as Record<string, unknown> });

    it('loads MNIST as its IDX files (labels, then images) through multipart/form-data', async () => {
      const p = await createImagePartition('idx-300');
      const { labels, images: pixels } = idxFilesOf(await loadMnist({ split: 'train', offset: 0, count: 300 }));
      const form = multipartBody([
        { name: 'labels', filename: 'train-labels-idx1-ubyte', data: labels },
        { name: 'images', filename: 'train-images-idx3-ubyte', data: pixels },
      ]);
      const result = await imageService.upload(images, p.name, uploadOf(form.body, form.contentType, 16 * 1024), 'idx');
      expect(result).toMatchObject({ appended: 300, partition: { recordCount: 300, status: 'ready' } });
      const records = await partitions.loadRecords({ partitionId: p.id });
      expect(records).toHaveLength(300);
      const reference = await loadMnist({ split: 'train', offset: 299, count: 1 });
      expect(records[299]!.label).toBe(reference.labels[0]);
      expect(Array.from(records[299]!.features)).toEqual(Array.from(reference.features));
    });

    it('keeps nothing of a truncated IDX upload or of parts in the wrong order', async () => {
      const p = await createImagePartition('idx-bad');
      const { labels, images: pixels } = idxFilesOf(await loadMnist({ split: 'train', offset: 0, count: 40 }));
      const truncated = multipartBody([
        { name: 'labels', filename: 'l', data: labels },
        { name: 'images', filename: 'i', data: pixels.subarray(0, pixels.length - 100) },
      ]);
      const error = await domainErrorOf(
        imageService.upload(images, p.name, uploadOf(truncated.body, truncated.contentType), 'idx'),
      );
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toMatch(/truncated at record 40/);
      const swapped = multipartBody([
        { name: 'images', filename: 'i', data: pixels },
        { name: 'labels', filename: 'l', data: labels },
      ]);
      expect(
        (await domainErrorOf(imageService.upload(images, p.name, uploadOf(swapped.body, swapped.contentType), 'idx')))
          .code,
      ).toBe('VALIDATION_FAILED');
      expect(await stored(p.id)).toBe(0);
    });

    it('loads PNG files with their labels, and refuses a batch whose labels do not match', async () => {
      const p = await createImagePartition('png');
      const mnist = await loadMnist({ split: 'train', offset: 0, count: 3 });
      const pngs = [0, 1, 2].map((i) => {
        const png = new PNG({ width: 28, height: 28, colorType: 0 });
        for (let px = 0; px < 784; px++) {
          const v = Math.round(mnist.features[i * 784 + px]! * 255);
          png.data.set([v, v, v, 255], px * 4);
        }
        return PNG.sync.write(png, { colorType: 0 });
      });
      const labels = JSON.stringify(Array.from(mnist.labels));
      const form = multipartBody([
        { name: 'labels', data: labels },
        ...pngs.map((data, i) => ({ name: 'image', filename: `${i}.png`, data })),
      ]);
      const result = await imageService.upload(images, p.name, uploadOf(form.body, form.contentType, 300), 'png');
      expect(result.appended).toBe(3);
      const records = await partitions.loadRecords({ partitionId: p.id });
      expect(Array.from(records[2]!.features)).toEqual(Array.from(mnist.features.subarray(2 * 784, 3 * 784)));

      const tooFew = multipartBody([
        { name: 'labels', data: JSON.stringify([1, 2]) },
        ...pngs.map((data, i) => ({ name: 'image', filename: `${i}.png`, data })),
      ]);
      const error = await domainErrorOf(
        imageService.upload(images, p.name, uploadOf(tooFew.body, tooFew.contentType), 'png'),
      );
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details).toMatchObject({ row: 3, field: 'digit' });
      expect(await stored(p.id)).toBe(3);
    });
  });

  it('refuses records for a discarded partition', async () => {
    const p = await newPartition();
    await new DiscardRepository(db.dataSource).discardDataset(
      { datasetName: dataset },
      { deleteData: false, reason: null, requestedBy: null },
    );
    const error = await domainErrorOf(service.upload(dataset, p.name, uploadOf(`${CSV_HEADER}1,2,0\n`, 'text/csv')));
    expect(error.code).toBe('TEACHER_DISCARDED');
  });
});
