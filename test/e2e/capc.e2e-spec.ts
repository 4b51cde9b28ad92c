import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runCapcLabeling, sliceMnistIdx, type CapcFeatureExtractor } from '@conclave/app-cli';
import { quantizeCapcHead } from '@conclave/app-teacher';
import { BFV_8192 } from '@conclave/crypto';
import { publicFeatureExtractor } from '../../libs/ml/src/capc/public-feature.extractor.js';
import { call, startTestPlatform, type TestPlatform } from './platform-harness.js';

const TEACHERS = ['a', 'b', 'c'];
const PARTITIONS_PER_OWNER = 3;
const PER_PARTITION = 200;
const QUERIES = 12;
const CLASSES = 10;
const MODULUS = Number(BFV_8192.plainModulus);

interface Recorded {
  to: string;
  path: string;
  request: string;
  response: string;
}

/** A recording HTTP proxy (test-only): every body that crosses it is kept, in both directions. */
async function recordingProxy(
  name: string,
  target: () => string,
  log: Recorded[],
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
      fetch(`${target()}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined })
        .then(async (upstream) => {
          const text = Buffer.from(await upstream.arrayBuffer());
          log.push({ to: name, path: req.url ?? '', request: body.toString('utf8'), response: text.toString('utf8') });
          res.writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'application/json',
          });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

/** Nearest-class-mean linear heads on the public features of each partition's MNIST slice. */
function nearestMeanHead(features: Float32Array[], labels: Uint8Array, dimension: number) {
  const sums = Array.from({ length: CLASSES }, () => new Float64Array(dimension));
  const counts = new Array<number>(CLASSES).fill(0);
  features.forEach((f, i) => {
    counts[labels[i]!]! += 1;
    for (let j = 0; j < dimension; j++) sums[labels[i]!]![j]! += f[j]!;
  });
  const weights: number[] = [];
  const bias: number[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const mean = Array.from(sums[c]!, (v) => v / Math.max(1, counts[c]!));
    weights.push(...mean);
    bias.push(-mean.reduce((a, v) => a + v * v, 0) / 2);
  }
  return { weights, bias };
}

function imagesOf(idx: Buffer): Float32Array[] {
  const count = idx.readUInt32BE(4);
  return Array.from({ length: count }, (_, i) =>
    Float32Array.from(idx.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255),
  );
}

describe('confidential labeling (capc mode) across processes', () => {
  let platform: TestPlatform;
  let db: pg.Client;
  const log: Recorded[] = [];
  const proxies: Server[] = [];
  const extractor = publicFeatureExtractor('mnist') as unknown as CapcFeatureExtractor;
  const heads: Record<string, Array<{ weights: number[]; bias: number[] }>> = {};
  let apiProxy: string;
  let party: { key: string; dealerKey: string; partyId: string };
  let budgetId: string;
  let dealerUrl: string;
  let queryImages: Float32Array[];

  beforeAll(async () => {
    // Fixed heads per partition (nearest class mean on the public features of a disjoint MNIST training slice).
    const dir = mkdtempSync(join(tmpdir(), 'conclave-capc-'));
    const env: Record<string, Record<string, string>> = {};
    for (const [t, id] of TEACHERS.entries()) {
      const list = [];
      for (let p = 0; p < PARTITIONS_PER_OWNER; p++) {
        const offset = (t * PARTITIONS_PER_OWNER + p) * PER_PARTITION;
        const slice = await sliceMnistIdx('train', offset, PER_PARTITION);
        const features = extractor.extract(imagesOf(slice.images));
        const head = nearestMeanHead(features, new Uint8Array(slice.labels.subarray(8)), extractor.dimension);
        list.push({
          partitionId: `p-${id}-${p}`,
          partitionIndex: p,
          extractorId: extractor.id,
          kind: 'linear',
          classes: CLASSES,
          dimension: extractor.dimension,
          ...head,
        });
      }
      heads[id] = list;
      const file = join(dir, `heads-${id}.json`);
      writeFileSync(file, JSON.stringify({ mnist: list }));
      env[`teacher-${id}`] = { CAPC_HEADS_FILE: file };
    }
    platform = await startTestPlatform(TEACHERS, env);
    db = new pg.Client({ connectionString: platform.coordinatorUrl });
    await db.connect();
    const api = platform.services.api!;
    const dealer = platform.services.dealer!;
    dealerUrl = dealer.url;
    const apiPost = (path: string, body: unknown, key = api.adminKey) =>
      call(`${api.url}${path}`, { method: 'POST', key, body });

    const consortium = await apiPost('/v1/consortia', { name: 'capc consortium' });
    const querying = await apiPost(`/v1/consortia/${consortium.body.id}/parties`, {
      name: 'clinic q',
      kind: 'querying-party',
    });
    const owners: string[] = [];
    for (const id of TEACHERS) {
      const teacher = platform.services[`teacher-${id}`]!;
      const guardianKey = await call(`${teacher.url}/v1/keys`, {
        method: 'POST',
        key: teacher.adminKey,
        body: { role: 'guardian', label: 'guardian' },
      });
      const proxy = await recordingProxy(`teacher-${id}`, () => teacher.url, log);
      proxies.push(proxy.server);
      const owner = await apiPost(`/v1/consortia/${consortium.body.id}/parties`, {
        name: `owner-${id}`,
        kind: 'data-owner',
        teacherServiceUrl: proxy.url,
        guardianApiKey: guardianKey.body.key,
      });
      expect(owner.status).toBe(201);
      owners.push(owner.body.id);
      const teacherDealerKey = await call(`${dealer.url}/v1/keys`, {
        method: 'POST',
        key: dealer.adminKey,
        body: { role: 'teacher', label: `owner ${id}`, partyId: owner.body.id },
      });
      expect(teacherDealerKey.status).toBe(201);
      const configured = await call(`${teacher.url}/v1/capc/dealer`, {
        method: 'PUT',
        key: teacher.adminKey,
        body: { url: dealer.url, key: teacherDealerKey.body.key },
      });
      expect(configured.status).toBe(204);
    }
    const guardianDealerKey = await call(`${dealer.url}/v1/keys`, {
      method: 'POST',
      key: dealer.adminKey,
      body: { role: 'guardian', label: 'guardian' },
    });
    const registered = await call(`${api.url}/v1/capc/dealer`, {
      method: 'PUT',
      key: api.adminKey,
      body: { consortiumId: consortium.body.id, url: dealer.url, guardianApiKey: guardianDealerKey.body.key },
    });
    expect(registered.status).toBe(204);
    const qpKey = await apiPost('/v1/keys', { role: 'querying-party', label: 'clinic q', partyId: querying.body.id });
    const qpDealerKey = await call(`${dealer.url}/v1/keys`, {
      method: 'POST',
      key: dealer.adminKey,
      body: { role: 'querying-party', label: 'clinic q', partyId: querying.body.id },
    });
    party = { key: qpKey.body.key, dealerKey: qpDealerKey.body.key, partyId: querying.body.id };
    const dataset = await apiPost(`/v1/consortia/${consortium.body.id}/datasets`, {
      name: 'mnist',
      numClasses: CLASSES,
      recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
    });
    const budget = await apiPost(`/v1/datasets/${dataset.body.id}/budgets`, {
      name: 'capc',
      epsilon: 100,
      delta: 1e-5,
    });
    expect({ status: budget.status, dataset: dataset.status }).toEqual({ status: 201, dataset: 201 });
    budgetId = budget.body.id;
    const proxy = await recordingProxy('api', () => api.url, log);
    proxies.push(proxy.server);
    apiProxy = proxy.url;
    queryImages = imagesOf((await sliceMnistIdx('test', 0, QUERIES)).images);
  });

  afterAll(async () => {
    for (const server of proxies) server.close();
    await db?.end();
    await platform?.teardown();
  });

  it('labels encrypted queries: histograms and labels equal plaintext GNMax on the same heads; nothing leaks', async () => {
    const result = await runCapcLabeling({
      apiUrl: apiProxy,
      apiKey: party.key,
      dealerUrl,
      dealerKey: party.dealerKey,
      budgetId,
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
          const q = quantizeCapcHead(
            {
              classes: CLASSES,
              dimension: extractor.dimension,
              weights: Float32Array.from(head.weights),
              bias: Float32Array.from(head.bias),
            },
            extractor,
            MODULUS,
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
      `SELECT q.ordinal, h.counts FROM vote_histogram h JOIN query q ON q.id = h.query_id WHERE q.job_id = $1 ORDER BY q.ordinal`,
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
    for (const record of toTeachers) {
      const body = JSON.parse(record.request) as Record<string, unknown>;
      const blobs = [
        ...((body.queries as string[] | undefined) ?? []),
        ...(body.message ? [body.message as string] : []),
      ];
      for (const blob of blobs) {
        const bytes = Buffer.from(blob, 'base64');
        for (const run of pixelRuns) expect(bytes.includes(run)).toBe(false);
        for (const f of featureBytes) expect(bytes.includes(Buffer.from(f, 'base64'))).toBe(false);
      }
    }
    // The guardian's inputs: teacher share sums (teacher responses) and the querying party's share sums.
    const shareSums = [
      ...toTeachers.flatMap((r) => {
        const body = JSON.parse(r.response) as { shareSums?: string };
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
