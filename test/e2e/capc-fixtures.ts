import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { sliceMnistIdx, type CapcFeatureExtractor } from '@conclave/app-cli';
import { quantizeLinearHead } from '../../libs/ml/src/capc/capc-head.quantizer.js';
import { publicFeatureExtractor } from '../../libs/ml/src/capc/public-feature.extractor.js';
import { call, startTestPlatform, type TestPlatform } from './platform-harness.js';

/** Shared set-up of the confidential-mode (capc) e2e tests: a consortium whose teachers hold fixed linear heads. */

export const CLASSES = 10;

export interface Recorded {
  to: string;
  path: string;
  /** The bodies as UTF-8 text (JSON bodies), and as bytes (framed binary bodies). */
  request: string;
  response: string;
  requestBytes: Buffer;
  responseBytes: Buffer;
}

export interface FixedHead {
  partitionId: string;
  partitionIndex: number;
  extractorId: string;
  kind: 'linear';
  classes: number;
  dimension: number;
  weights: number[];
  bias: number[];
}

export interface CapcConsortium {
  platform: TestPlatform;
  extractor: CapcFeatureExtractor;
  /** Per teacher id, the fixed heads of its partitions. */
  heads: Record<string, FixedHead[]>;
  consortiumId: string;
  datasetId: string;
  budgetId: string;
  dealerUrl: string;
  /** The api as the querying party reaches it (a recording proxy when asked for). */
  apiUrl: string;
  party: { key: string; dealerKey: string; partyId: string };
  /** Every teacher service's admin key and url, and the guardian key each issued. */
  teachers: Record<string, { url: string; adminKey: string; guardianKey: string; ownerPartyId: string }>;
  proxies: Server[];
  teardown(): Promise<void>;
}

/** A recording HTTP proxy (test-only): every body that crosses it is kept, in both directions. */
export async function recordingProxy(
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
          log.push({
            to: name,
            path: req.url ?? '',
            request: body.toString('utf8'),
            response: text.toString('utf8'),
            requestBytes: body,
            responseBytes: text,
          });
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
export function nearestMeanHead(features: Float32Array[], labels: Uint8Array, dimension: number) {
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

export function imagesOf(idx: Buffer): Float32Array[] {
  const count = idx.readUInt32BE(4);
  return Array.from({ length: count }, (_, i) =>
    Float32Array.from(idx.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255),
  );
}

/**
 * Boots the platform with fixed heads per partition (nearest class mean on the public features of a disjoint MNIST
 * training slice), and sets up a consortium: owners (optionally behind recording proxies), the dealer and its keys,
 * a querying party with its api and dealer keys, the dataset 'mnist' and a budget.
 */
export async function startCapcConsortium(options: {
  teachers: string[];
  partitionsPerOwner: number;
  perPartition: number;
  /** Records every body to and from the teachers and the querying party's api calls. */
  log?: Recorded[];
  epsilon?: number;
  env?: Record<string, Record<string, string>>;
}): Promise<CapcConsortium> {
  const { teachers: ids, partitionsPerOwner, perPartition, log } = options;
  const extractor = publicFeatureExtractor('mnist');
  const dir = mkdtempSync(join(tmpdir(), 'conclave-capc-'));
  const env: Record<string, Record<string, string>> = { ...options.env };
  const heads: Record<string, FixedHead[]> = {};
  for (const [t, id] of ids.entries()) {
    const list: FixedHead[] = [];
    for (let p = 0; p < partitionsPerOwner; p++) {
      const offset = (t * partitionsPerOwner + p) * perPartition;
      const slice = await sliceMnistIdx('train', offset, perPartition);
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
    env[`teacher-${id}`] = { ...env[`teacher-${id}`], CAPC_HEADS_FILE: file };
  }
  const platform = await startTestPlatform(ids, env);
  const proxies: Server[] = [];
  const api = platform.services.api!;
  const dealer = platform.services.dealer!;
  const apiPost = (path: string, body: unknown, key = api.adminKey) =>
    call(`${api.url}${path}`, { method: 'POST', key, body });

  const consortium = await apiPost('/v1/consortia', { name: 'capc consortium' });
  const querying = await apiPost(`/v1/consortia/${consortium.body.id}/parties`, {
    name: 'clinic q',
    kind: 'querying-party',
  });
  const teachers: CapcConsortium['teachers'] = {};
  for (const id of ids) {
    const teacher = platform.services[`teacher-${id}`]!;
    const guardianKey = await call(`${teacher.url}/v1/keys`, {
      method: 'POST',
      key: teacher.adminKey,
      body: { role: 'guardian', label: 'guardian' },
    });
    let url = teacher.url;
    if (log) {
      const proxy = await recordingProxy(`teacher-${id}`, () => teacher.url, log);
      proxies.push(proxy.server);
      url = proxy.url;
    }
    const owner = await apiPost(`/v1/consortia/${consortium.body.id}/parties`, {
      name: `owner-${id}`,
      kind: 'data-owner',
      teacherServiceUrl: url,
      guardianApiKey: guardianKey.body.key,
    });
    expect(owner.status).toBe(201);
    teachers[id] = {
      url: teacher.url,
      adminKey: teacher.adminKey,
      guardianKey: guardianKey.body.key,
      ownerPartyId: owner.body.id,
    };
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
  const dataset = await apiPost(`/v1/consortia/${consortium.body.id}/datasets`, {
    name: 'mnist',
    numClasses: CLASSES,
    recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
  });
  const budget = await apiPost(`/v1/datasets/${dataset.body.id}/budgets`, {
    name: 'capc',
    epsilon: options.epsilon ?? 100,
    delta: 1e-5,
  });
  expect({ status: budget.status, dataset: dataset.status }).toEqual({ status: 201, dataset: 201 });
  let apiUrl = api.url;
  if (log) {
    const proxy = await recordingProxy('api', () => api.url, log);
    proxies.push(proxy.server);
    apiUrl = proxy.url;
  }
  return {
    platform,
    extractor,
    heads,
    consortiumId: consortium.body.id,
    datasetId: dataset.body.id,
    budgetId: budget.body.id,
    dealerUrl: dealer.url,
    apiUrl,
    party: { key: qpKey.body.key, dealerKey: qpDealerKey.body.key, partyId: querying.body.id },
    teachers,
    proxies,
    teardown: async () => {
      for (const server of proxies) server.close();
      await platform.teardown();
    },
  };
}

/**
 * The plaintext reference of a capc job's histograms: per query, how many partitions' quantized heads (libs/ml's
 * quantization, with the querying party's extractor) put each class first on the querying party's quantized features.
 */
export function plaintextVoteHistograms(
  capc: Pick<CapcConsortium, 'extractor' | 'heads'>,
  teachers: readonly string[],
  images: readonly Float32Array[],
): number[][] {
  const { extractor, heads } = capc;
  const quantizedHeads = teachers.flatMap((id) =>
    heads[id]!.map((head) =>
      quantizeLinearHead(
        { ...head, weights: Float32Array.from(head.weights), bias: Float32Array.from(head.bias) },
        extractor,
      ),
    ),
  );
  return extractor.quantize(extractor.extract(images)).map((x) => {
    const counts = new Array<number>(CLASSES).fill(0);
    for (const q of quantizedHeads) {
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
    return counts;
  });
}
