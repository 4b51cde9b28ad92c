import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PNG } from 'pngjs';
import { loadMnistPartitions, sliceMnistIdx } from '@conclave/app-cli';
import { RdpAccountant, roundEpsilonUp } from '@conclave/dp';
import { call, startTestPlatform, type TestPlatform } from './platform-harness.js';

const TEACHERS = ['a', 'b', 'c'];
const PARTITIONS_PER_OWNER = 4;
const PER_PARTITION = 150;
const QUERIES = 40;

/**
 * The plaintext PATE pipeline across real processes: three data owners' teacher services (own databases)
 * load disjoint MNIST slices and train their teachers; a querying party uploads unlabeled MNIST test images
 * through the api; the guardian runs labeling jobs from the queue, collecting votes over HTTP and charging
 * a budget in the same transaction that releases each label.
 */
describe('labeling jobs across processes (pate mode, MNIST)', () => {
  let platform: TestPlatform;
  let db: pg.Client;
  let api: { url: string; admin: string; party: string };
  let unlabeledId: string;
  let datasetId: string;

  const post = (path: string, body: unknown, key = api.admin) =>
    call(`${api.url}${path}`, { method: 'POST', key, body });

  async function waitForJob(
    jobId: string,
    done: (job: any) => boolean,
    timeoutMs = 240_000,
    pollMs = 500,
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await call(`${api.url}/v1/jobs/${jobId}`, { key: api.party })).body;
      if (done(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(job.queries)}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async function newBudget(epsilon: number): Promise<string> {
    const budget = await post(`/v1/datasets/${datasetId}/budgets`, { name: `b-${epsilon}`, epsilon, delta: 1e-5 });
    expect(budget.status).toBe(201);
    return budget.body.id;
  }

  async function newJob(budgetId: string, params: Record<string, unknown>, mechanism = 'gnmax'): Promise<string> {
    const job = await post(
      '/v1/jobs',
      { unlabeledDatasetId: unlabeledId, budgetId, mechanism, params, maxQueries: QUERIES },
      api.party,
    );
    expect(job.status).toBe(201);
    return job.body.id;
  }

  beforeAll(async () => {
    platform = await startTestPlatform(TEACHERS, { aggregator: { LABELING_BATCH_SIZE: '4' } });
    db = new pg.Client({ connectionString: platform.coordinatorUrl });
    await db.connect();
    const apiService = platform.services.api!;

    // Each owner loads its partitions, trains its teachers, and issues a key to the guardian.
    const owners: Array<{ name: string; url: string; guardianKey: string }> = [];
    for (const [i, id] of TEACHERS.entries()) {
      const teacher = platform.services[`teacher-${id}`]!;
      await loadMnistPartitions({
        url: teacher.url,
        key: teacher.adminKey,
        dataset: 'mnist',
        partitions: PARTITIONS_PER_OWNER,
        perPartition: PER_PARTITION,
        offset: i * PARTITIONS_PER_OWNER * PER_PARTITION,
      });
      const started = await call(`${teacher.url}/v1/datasets/mnist/train`, {
        method: 'POST',
        key: teacher.adminKey,
        body: { architecture: 'mlp', epochs: 15, seed: i + 1, capcHeads: false }, // pate mode only
      });
      expect(started.status).toBe(202);
      const guardianKey = await call(`${teacher.url}/v1/keys`, {
        method: 'POST',
        key: teacher.adminKey,
        body: { role: 'guardian', label: 'consortium guardian' },
      });
      owners.push({ name: `owner-${id}`, url: teacher.url, guardianKey: guardianKey.body.key });
    }
    for (const id of TEACHERS) {
      const teacher = platform.services[`teacher-${id}`]!;
      for (;;) {
        const status = (await call(`${teacher.url}/v1/datasets/mnist/training`, { key: teacher.adminKey })).body;
        if (status.partitions.every((p: { status: string }) => p.status === 'ready')) break;
        expect(status.partitions.some((p: { status: string }) => p.status === 'failed')).toBe(false);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }

    // The operator sets up the consortium; the querying party uploads unlabeled test images.
    api = { url: apiService.url, admin: apiService.adminKey, party: '' };
    const consortium = await post('/v1/consortia', { name: 'mnist consortium' });
    for (const owner of owners) {
      const party = await post(`/v1/consortia/${consortium.body.id}/parties`, {
        name: owner.name,
        kind: 'data-owner',
        teacherServiceUrl: owner.url,
        guardianApiKey: owner.guardianKey,
      });
      expect(party.status).toBe(201);
      expect(JSON.stringify(party.body)).not.toContain(owner.guardianKey);
    }
    const querying = await post(`/v1/consortia/${consortium.body.id}/parties`, {
      name: 'clinic q',
      kind: 'querying-party',
    });
    api.party = (
      await post('/v1/keys', { role: 'querying-party', label: 'clinic q', partyId: querying.body.id })
    ).body.key;
    const dataset = await post(`/v1/consortia/${consortium.body.id}/datasets`, {
      name: 'mnist',
      numClasses: 10,
      recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
    });
    expect(dataset.status).toBe(201);
    datasetId = dataset.body.id;

    const { images } = await sliceMnistIdx('test', 0, QUERIES);
    const upload = await fetch(
      `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${datasetId}&name=mnist-test-head&format=idx`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${api.party}`, 'content-type': 'application/octet-stream' },
        body: images,
      },
    );
    const uploaded = (await upload.json()) as { id: string; recordCount: number };
    expect(upload.status).toBe(201);
    expect(uploaded.recordCount).toBe(QUERIES);
    unlabeledId = uploaded.id;
    // Boots 5 processes, loads and trains 12 teachers: minutes on a loaded 2-core machine.
  }, 480_000);

  afterAll(async () => {
    await db?.end();
    await platform?.teardown();
  });

  async function ledgerOf(budgetId: string): Promise<Array<{ query_id: string; event: any }>> {
    return (
      await db.query('SELECT query_id, event FROM ledger_entry WHERE budget_id = $1 ORDER BY sequence', [budgetId])
    ).rows;
  }

  async function histogramsOf(jobId: string): Promise<Map<string, number[]>> {
    const rows = await db.query(
      'SELECT id AS query_id, vote_counts AS counts FROM query WHERE job_id = $1 AND vote_counts IS NOT NULL',
      [jobId],
    );
    return new Map(rows.rows.map((r: { query_id: string; counts: number[] }) => [r.query_id, r.counts]));
  }

  it('runs a GNMax job to completion: labels follow the teachers’ plurality, and the ledger’s ε is libs/dp’s', async () => {
    const budgetId = await newBudget(50);
    const jobId = await newJob(budgetId, { sigma: 2 });
    const job = await waitForJob(jobId, (j) => j.status === 'completed');
    expect(job.queries.answered).toBe(QUERIES);

    const labels = (await call(`${api.url}/v1/jobs/${jobId}/labels`, { key: api.party })).body as Array<{
      status: string;
      label: number;
    }>;
    const queries = (await db.query('SELECT id, ordinal FROM query WHERE job_id = $1 ORDER BY ordinal', [jobId])).rows;
    const histograms = await histogramsOf(jobId);
    const plurality = queries.map((q: { id: string }) => {
      const counts = histograms.get(q.id)!;
      return counts.indexOf(Math.max(...counts));
    });
    const agree = labels.filter((l, i) => l.label === plurality[i]).length;
    expect(agree / QUERIES).toBeGreaterThanOrEqual(0.8);
    const voters = [...histograms.values()].map((c) => c.reduce((a, b) => a + b, 0));
    expect(new Set(voters)).toEqual(new Set([TEACHERS.length * PARTITIONS_PER_OWNER]));

    // The charged ε is exactly what libs/dp computes from the stored histograms.
    const ledger = await ledgerOf(budgetId);
    expect(ledger).toHaveLength(QUERIES);
    const accountant = new RdpAccountant();
    for (const counts of histograms.values())
      accountant.compose({ kind: 'gnmaxDataDependent', sigma: 2, votes: counts });
    const status = (await call(`${api.url}/v1/budgets/${budgetId}`, { key: api.admin })).body;
    expect(status.epsilonCharged).toBe(roundEpsilonUp(accountant.getEpsilon(1e-5, 'improved').epsilon));
    expect(status.epsilonDataIndependent).toBeGreaterThanOrEqual(status.epsilonCharged);
  });

  it('stops a job whose budget runs out: the remaining queries are refused, never answered', async () => {
    const budgetId = await newBudget(2);
    const jobId = await newJob(budgetId, { sigma: 10, accounting: 'dataIndependent' });
    const job = await waitForJob(jobId, (j) => !['queued', 'running'].includes(j.status));
    expect(job.status).toBe('budget-exhausted');
    expect(job.queries.answered).toBeGreaterThan(0);
    expect(job.queries.answered + job.queries['refused-budget']).toBe(QUERIES);
    const labels = (await call(`${api.url}/v1/jobs/${jobId}/labels`, { key: api.party })).body as Array<{
      status: string;
      label: unknown;
    }>;
    expect(labels.filter((l) => l.status === 'refused-budget').every((l) => l.label === null)).toBe(true);
    // Every query is listed and decided, also those the guardian never read (their rows are created refused).
    expect(labels).toHaveLength(QUERIES);
    expect(labels.filter((l) => l.status === 'answered' || l.status === 'refused-budget')).toHaveLength(QUERIES);
    expect(await ledgerOf(budgetId)).toHaveLength(job.queries.answered);
    const status = (await call(`${api.url}/v1/budgets/${budgetId}`, { key: api.party })).body;
    expect(status.epsilonDataIndependent).toBeLessThanOrEqual(2);
  });

  it('survives the guardian worker being killed mid-job: no query is answered or charged twice', async () => {
    const budgetId = await newBudget(50);
    const jobId = await newJob(budgetId, { threshold: 8, sigma1: 2, sigma2: 2 }, 'confident-gnmax');
    // The guardian charges a whole batch per transaction: 40 queries take well under a second, so look often.
    const midway = await waitForJob(
      jobId,
      (j) => j.queries.answered + j.queries['refused-threshold'] >= 8 || j.status === 'completed',
      240_000,
      20,
    );
    expect(midway.status).not.toBe('completed');
    await platform.restart('aggregator', { kill: true });
    const job = await waitForJob(jobId, (j) => j.status === 'completed');
    expect(job.queries.answered + job.queries['refused-threshold']).toBe(QUERIES);

    const ledger = await ledgerOf(budgetId);
    expect(ledger).toHaveLength(QUERIES);
    expect(new Set(ledger.map((e) => e.query_id)).size).toBe(QUERIES);
    const histograms = await histogramsOf(jobId);
    expect(histograms.size).toBe(QUERIES);
  });

  it('takes unlabeled PNG images as multipart parts, and refuses wrong media types and malformed files', async () => {
    const { images } = await sliceMnistIdx('test', 100, 2);
    const form = new FormData();
    for (let n = 0; n < 2; n += 1) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p += 1) {
        const v = images[16 + n * 784 + p]!;
        png.data.set([v, v, v, 255], p * 4);
      }
      form.append('image', new Blob([PNG.sync.write(png)]), `img-${n}.png`);
    }
    const url = `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${datasetId}&name=pngs&format=png`;
    const headers = { authorization: `Bearer ${api.party}` };
    const uploaded = await fetch(url, { method: 'POST', headers, body: form });
    expect(uploaded.status).toBe(201);
    expect(((await uploaded.json()) as { recordCount: number }).recordCount).toBe(2);

    const json = await call(url.replace('format=png', 'format=idx'), {
      method: 'POST',
      key: api.party,
      body: { images: [] },
    });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const truncated = await fetch(url.replace('format=png', 'format=idx').replace('name=pngs', 'name=bad'), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: images.subarray(0, 16 + 784 + 100),
    });
    expect(truncated.status).toBe(400);
    const listed = (await call(`${api.url}/v1/unlabeled-datasets`, { key: api.party })).body as Array<{ name: string }>;
    expect(listed.map((d) => d.name)).not.toContain('bad'); // nothing half-stored
  });
});
