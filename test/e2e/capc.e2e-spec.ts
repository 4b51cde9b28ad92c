import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runCapcLabeling, sliceMnistIdx } from '@conclave/app-cli';
import { decodeCapcFrames } from '@conclave/contracts';
import { BFV_8192 } from '@conclave/crypto';
import { quantizeLinearHead } from '../../libs/ml/src/capc/capc-head.quantizer.js';
import { CLASSES, imagesOf, startCapcConsortium, type CapcConsortium, type Recorded } from './capc-fixtures.js';

const TEACHERS = ['a', 'b', 'c'];
const PARTITIONS_PER_OWNER = 3;
const PER_PARTITION = 200;
const QUERIES = 12;
const MODULUS = Number(BFV_8192.plainModulus);

describe('confidential labeling (capc mode) across processes', () => {
  let capc: CapcConsortium;
  let db: pg.Client;
  const log: Recorded[] = [];
  let queryImages: Float32Array[];

  beforeAll(async () => {
    capc = await startCapcConsortium({
      teachers: TEACHERS,
      partitionsPerOwner: PARTITIONS_PER_OWNER,
      perPartition: PER_PARTITION,
      log,
    });
    db = new pg.Client({ connectionString: capc.platform.coordinatorUrl });
    await db.connect();
    queryImages = imagesOf((await sliceMnistIdx('test', 0, QUERIES)).images);
  });

  afterAll(async () => {
    await db?.end();
    await capc?.teardown();
  });

  it('labels encrypted queries: histograms and labels equal plaintext GNMax on the same heads; nothing leaks', async () => {
    const { extractor, heads, party } = capc;
    const result = await runCapcLabeling({
      apiUrl: capc.apiUrl,
      apiKey: party.key,
      dealerUrl: capc.dealerUrl,
      dealerKey: party.dealerKey,
      budgetId: capc.budgetId,
      records: queryImages,
      extractor,
      classes: CLASSES,
      mechanism: 'gnmax',
      params: { sigma: 1, accounting: 'dataIndependent' },
      batchSize: 6,
    });
    expect(result.status).toBe('completed');
    expect(result.labels).toHaveLength(QUERIES);

    // The plaintext reference: every partition's quantized head on the querying party's quantized features.
    const quantized = extractor.quantize(extractor.extract(queryImages));
    const plaintext = quantized.map((x) => {
      const counts = new Array<number>(CLASSES).fill(0);
      for (const id of TEACHERS) {
        for (const head of heads[id]!) {
          // The teachers' quantization (libs/ml), with the querying party's extractor.
          const q = quantizeLinearHead(
            { ...head, weights: Float32Array.from(head.weights), bias: Float32Array.from(head.bias) },
            extractor,
          );
          let best = 0;
          let bestValue = -Infinity;
          for (let c = 0; c < CLASSES; c++) {
            let v = q.bias[c]!;
            for (let j = 0; j < extractor.dimension; j++) v += q.weights[c * extractor.dimension + j]! * x[j]!;
            if (v > bestValue) {
              bestValue = v;
              best = c;
            }
          }
          counts[best]! += 1;
        }
      }
      return counts;
    });
    const rows = await db.query(
      `SELECT ordinal, vote_counts AS counts FROM query WHERE job_id = $1 AND vote_counts IS NOT NULL ORDER BY ordinal`,
      [result.jobId],
    );
    expect(rows.rows.map((r: { counts: number[] }) => r.counts)).toEqual(plaintext);
    // The guardian's decision is the pate path (the same mechanism code) on these histograms; with σ = 1 a label can
    // differ from the plurality only where the margin is small: where it is ≥ 6, it must be the plurality.
    expect(result.labels.every((l) => l.status === 'answered')).toBe(true);
    plaintext.forEach((counts, i) => {
      const sorted = [...counts].sort((a, b) => b - a);
      if (sorted[0]! - sorted[1]! >= 6) expect(result.labels[i]!.label).toBe(counts.indexOf(sorted[0]!));
    });

    // Leakage: what crossed the wire.
    const featureBytes = quantized.map((x) => Buffer.from(Uint32Array.from(x).buffer).toString('base64'));
    const pixelRuns = queryImages.map((img) =>
      Buffer.from(Uint8Array.from(img.subarray(300, 340), (v) => Math.round(v * 255))),
    );
    const toTeachers = log.filter((r) => r.to.startsWith('teacher-'));
    expect(toTeachers.length).toBeGreaterThan(0);
    // Every body to a teacher service: framed (evaluate: the public key and the query ciphertexts as frames, the rest
    // in a JSON header; argmax rounds: the messages as one frame, an empty header) or JSON (base64 blobs); each blob,
    // and each body whole, is checked.
    let evaluations = 0;
    for (const record of toTeachers) {
      let blobs: Buffer[];
      const frames = decodeCapcFrames(record.requestBytes, { maxFrames: 1 << 10, maxFrameBytes: 1 << 24 });
      if (frames.ok) {
        if (record.path.endsWith('/evaluate/framed')) {
          evaluations++;
          expect(Object.keys(frames.header).sort()).toEqual(
            [
              'classes',
              'dataset',
              'extractor',
              'heParameters',
              'jobId',
              'queriesPerCiphertext',
              'queryCount',
              'sessionId',
            ].sort(),
          );
          // The client packs a batch's 6 queries into one ciphertext (BFV_8192 takes 11 of 64 features): the public
          // key and one query ciphertext.
          expect(frames.header).toMatchObject({ queriesPerCiphertext: 11, queryCount: 6 });
          expect(frames.frames).toHaveLength(2);
        } else {
          expect(record.path).toMatch(/\/rounds\/\d+\/framed$/);
          expect(frames.header).toEqual({});
          expect(frames.frames).toHaveLength(1);
        }
        blobs = frames.frames.map((f) => Buffer.from(f));
      } else {
        const body = JSON.parse(record.request) as Record<string, unknown>;
        blobs = [
          ...((body.queries as string[] | undefined) ?? []),
          ...(body.message ? [body.message as string] : []),
        ].map((blob) => Buffer.from(blob, 'base64'));
      }
      for (const bytes of [...blobs, record.requestBytes]) {
        for (const run of pixelRuns) expect(bytes.includes(run)).toBe(false);
        for (const f of featureBytes) expect(bytes.includes(Buffer.from(f, 'base64'))).toBe(false);
      }
    }
    expect(evaluations).toBe(TEACHERS.length * 2); // every evaluation of the 2 batches
    // The guardian's inputs: teacher share sums (teacher responses) and the querying party's share sums.
    const shareSums = [
      ...toTeachers.flatMap((r) => {
        // Framed answers carry the share sums (base64) in their JSON header; evaluations carry none.
        const framed = decodeCapcFrames(r.responseBytes, { maxFrames: 1 << 10, maxFrameBytes: 1 << 24 });
        const body = (framed.ok ? framed.header : JSON.parse(r.response)) as { shareSums?: string };
        return body.shareSums ? [body.shareSums] : [];
      }),
      ...log
        .filter((r) => r.to === 'api' && r.path.endsWith('/shares'))
        .map((r) => JSON.parse(r.request).shareSums as string),
    ];
    expect(shareSums).toHaveLength(TEACHERS.length * 2 + 2); // 2 batches
    const voters = TEACHERS.length * PARTITIONS_PER_OWNER;
    for (const encoded of shareSums) {
      const bytes = Buffer.from(encoded, 'base64');
      const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32LE(4 * i));
      // A vote count would be ≤ voters; a uniform share is below that with probability ~ voters / p per value.
      expect(values.filter((v) => v <= voters || v >= MODULUS - voters).length).toBeLessThanOrEqual(1);
    }
    // The querying party never receives share sums (nor anything from which one teacher's vote follows).
    for (const record of log.filter((r) => r.to === 'api')) expect(record.response).not.toContain('shareSums');

    const perQuery = {
      bytesSent: Math.round(result.stats.bytesSent / QUERIES),
      bytesReceived: Math.round(result.stats.bytesReceived / QUERIES),
      ms: Math.round(result.stats.elapsedMs / QUERIES),
    };
    process.stdout.write(
      `capc e2e (${TEACHERS.length} services × ${PARTITIONS_PER_OWNER} partitions): ${JSON.stringify({ ...result.stats, perQuery })}\n`,
    );
  });
});
