import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { loadMnistPartitions, sliceMnistIdx } from '@conclave/app-cli';
import { encodeFeatures } from '@conclave/contracts';
import { call, startTestPlatform, type TestPlatform } from './platform-harness.js';

const TEACHERS = ['a', 'b', 'c'];
const PARTITIONS_PER_OWNER = 3;
const PER_PARTITION = 150;
const POOL = 400;
const QUERIES = 300;
const EVALUATION = { offset: 9700, count: 300 };

/**
 * fetch whose JSON is parsed in the test's own realm: Jest runs modules in a vm context, and tfjs recognises the
 * layers of model.json with `instanceof Array`, which arrays parsed by Node's fetch (the outer realm) fail.
 */
async function fetchInThisRealm(...args: Parameters<typeof fetch>): Promise<Response> {
  const response = await fetch(...args);
  return Object.assign(response, { json: async () => JSON.parse(await response.text()) as unknown });
}

/** MNIST images (an idx3 buffer) as flat feature vectors in [0, 1]. */
function imagesOf(idx3: Buffer, count: number): number[][] {
  return Array.from({ length: count }, (_, n) =>
    Array.from(idx3.subarray(16 + n * 784, 16 + (n + 1) * 784), (v) => v / 255),
  );
}

/**
 * The last leg of PATE across real processes: after a GNMax labeling job, the querying party trains a student in
 * the student service from the released labels plus the unlabeled rest of its pool, evaluates it on its own
 * held-out set, downloads the export; the operator accepts it, and the guardian has every data owner's teacher
 * service discard its teachers (audited); the deployed student then answers predictions.
 */
describe('the student across processes (MNIST)', () => {
  let platform: TestPlatform;
  let api: { url: string; admin: string; adminKeyId: string; party: string };
  let student: { url: string };
  let owners: Array<{ id: string; url: string; adminKey: string; guardianKey: string }>;
  let datasetId: string;
  let poolId: string;
  let evaluationId: string;
  let budgetId: string;
  let jobId: string;
  let studentId: string;
  let answered: number;
  let evaluationImages: number[][];
  let evaluationLabels: number[];

  const post = (url: string, body: unknown, key: string) => call(url, { method: 'POST', key, body });

  async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    platform = await startTestPlatform(TEACHERS);
    const apiService = platform.services.api!;
    student = { url: platform.services.student!.url };

    // Each owner loads its partitions, trains its teachers, and issues a key to the guardian.
    owners = [];
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
      const started = await post(
        `${teacher.url}/v1/datasets/mnist/train`,
        { architecture: 'mlp', epochs: 15, seed: i + 1 },
        teacher.adminKey,
      );
      expect(started.status).toBe(202);
      const guardianKey = await post(
        `${teacher.url}/v1/keys`,
        { role: 'guardian', label: 'guardian' },
        teacher.adminKey,
      );
      owners.push({ id, url: teacher.url, adminKey: teacher.adminKey, guardianKey: guardianKey.body.key });
    }
    for (const owner of owners) {
      await waitFor(
        `teacher-${owner.id} training`,
        async () => (await call(`${owner.url}/v1/datasets/mnist/training`, { key: owner.adminKey })).body,
        (status) => status.partitions.every((p: { status: string }) => p.status === 'ready'),
      );
    }

    // The operator sets up the consortium; the querying party uploads its pool and its held-out evaluation set.
    const whoami = await call(`${apiService.url}/v1/whoami`, { key: apiService.adminKey });
    api = { url: apiService.url, admin: apiService.adminKey, adminKeyId: whoami.body.keyId, party: '' };
    const consortium = await post(`${api.url}/v1/consortia`, { name: 'mnist consortium' }, api.admin);
    for (const owner of owners) {
      const party = await post(
        `${api.url}/v1/consortia/${consortium.body.id}/parties`,
        {
          name: `owner-${owner.id}`,
          kind: 'data-owner',
          teacherServiceUrl: owner.url,
          guardianApiKey: owner.guardianKey,
        },
        api.admin,
      );
      expect(party.status).toBe(201);
    }
    const querying = await post(
      `${api.url}/v1/consortia/${consortium.body.id}/parties`,
      { name: 'clinic q', kind: 'querying-party' },
      api.admin,
    );
    api.party = (
      await post(
        `${api.url}/v1/keys`,
        { role: 'querying-party', label: 'clinic q', partyId: querying.body.id },
        api.admin,
      )
    ).body.key;
    const dataset = await post(
      `${api.url}/v1/consortia/${consortium.body.id}/datasets`,
      { name: 'mnist', numClasses: 10, recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 } },
      api.admin,
    );
    datasetId = dataset.body.id;

    const pool = await sliceMnistIdx('test', 0, POOL);
    const uploaded = await fetch(
      `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${datasetId}&name=pool&format=idx`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${api.party}`, 'content-type': 'application/octet-stream' },
        body: pool.images,
      },
    );
    expect(uploaded.status).toBe(201);
    poolId = ((await uploaded.json()) as { id: string }).id;

    const held = await sliceMnistIdx('test', EVALUATION.offset, EVALUATION.count);
    evaluationImages = imagesOf(held.images, EVALUATION.count);
    evaluationLabels = Array.from(held.labels.subarray(8));
    const form = new FormData();
    form.append('labels', new Blob([held.labels]), 'labels.idx1');
    form.append('images', new Blob([held.images]), 'images.idx3');
    const evaluation = await fetch(
      `${api.url}/v1/unlabeled-datasets?consortiumDatasetId=${datasetId}&name=held-out&format=idx&purpose=evaluation`,
      { method: 'POST', headers: { authorization: `Bearer ${api.party}` }, body: form },
    );
    const evaluationBody = (await evaluation.json()) as { id: string; purpose: string; recordCount: number };
    expect(evaluation.status).toBe(201);
    expect(evaluationBody).toMatchObject({ purpose: 'evaluation', recordCount: EVALUATION.count });
    evaluationId = evaluationBody.id;

    budgetId = (
      await post(`${api.url}/v1/datasets/${datasetId}/budgets`, { name: 'b', epsilon: 100, delta: 1e-5 }, api.admin)
    ).body.id;
  });

  afterAll(async () => {
    await platform?.teardown();
  });

  it('labels the pool with a GNMax job; the evaluation set is never put to the teachers', async () => {
    const refused = await post(
      `${api.url}/v1/jobs`,
      { unlabeledDatasetId: evaluationId, budgetId, mechanism: 'gnmax', params: { sigma: 2 }, maxQueries: 10 },
      api.party,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WRONG_DATASET_PURPOSE');
    const job = await post(
      `${api.url}/v1/jobs`,
      { unlabeledDatasetId: poolId, budgetId, mechanism: 'gnmax', params: { sigma: 2 }, maxQueries: QUERIES },
      api.party,
    );
    expect(job.status).toBe(201);
    jobId = job.body.id;
    const done = await waitFor(
      'labeling job',
      async () => (await call(`${api.url}/v1/jobs/${jobId}`, { key: api.party })).body,
      (j) => j.status !== 'queued' && j.status !== 'running',
    );
    // GNMax is charged data-dependently: a budget-exhausted job (some queries refused) is finished as well.
    expect(['completed', 'budget-exhausted']).toContain(done.status);
    answered = done.queries.answered;
    expect(answered).toBeGreaterThan(QUERIES / 2);
  });

  it('trains a student in the background: progress, then a model card with a plausible accuracy', async () => {
    expect((await post(`${student.url}/v1/students`, { jobId }, 'ck_bogus_key')).status).toBe(401);
    const bad = await post(`${student.url}/v1/students`, { jobId, preset: 'slow' }, api.party);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const wrongEvaluation = await post(`${student.url}/v1/students`, { jobId, evaluationDatasetId: poolId }, api.party);
    expect(wrongEvaluation.body.error.code).toBe('WRONG_DATASET_PURPOSE');

    const created = await post(
      `${student.url}/v1/students`,
      {
        jobId,
        evaluationDatasetId: evaluationId,
        architecture: 'mlp',
        method: 'fixmatch',
        preset: 'quick',
        epochs: 30,
        seed: 3,
      },
      api.party,
    );
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ version: 1, status: 'training' });
    studentId = created.body.id;

    const progress: number[] = [];
    const trained = await waitFor(
      'student training',
      async () => {
        const body = (await call(`${student.url}/v1/students/${studentId}`, { key: api.party })).body;
        progress.push(body.progress);
        return body;
      },
      (s) => s.status !== 'training',
    );
    expect(trained).toMatchObject({ status: 'trained', progress: 1, method: 'fixmatch', architecture: 'mlp' });
    expect(progress.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p >= progress[i - 1]!))).toBe(true);
    expect(trained.errorCode).toBeNull();
    const card = trained.modelCard;
    // Teachers of 150 images each, a few hundred noisy labels: a working student reaches ~0.6–0.8, far above
    // chance (0.1), which is where a broken one (wrong labels, features or export) lands.
    expect(trained.evaluationAccuracy).toBeGreaterThan(0.5);
    expect(card.evaluation).toEqual({ accuracy: trained.evaluationAccuracy, records: EVALUATION.count });
    expect(card.data).toMatchObject({
      poolDatasetId: poolId,
      poolRecords: POOL,
      labeledRecords: answered,
      unlabeledRecords: POOL - answered,
      evaluationDatasetId: evaluationId,
    });
    expect(card.labeling).toMatchObject({ jobId, mechanism: 'gnmax', params: { sigma: 2 }, queriesAnswered: answered });
    // GNMax is charged data-dependently: the querying party sees the publishable data-independent ε only.
    expect(card.privacy).toMatchObject({ delta: 1e-5, conversion: 'improved', publishable: true });
    const budget = (await call(`${api.url}/v1/budgets/${budgetId}`, { key: api.admin })).body;
    expect(card.privacy.epsilon).toBe(budget.epsilonDataIndependent);
    const asAdmin = (await call(`${student.url}/v1/students/${studentId}`, { key: api.admin })).body.modelCard;
    expect(asAdmin.privacy).toMatchObject({
      epsilon: budget.epsilonCharged,
      epsilonKind: 'data-dependent',
      publishable: false,
      epsilonDataIndependent: budget.epsilonDataIndependent,
    });

    const registry = (await call(`${student.url}/v1/students?datasetId=${datasetId}`, { key: api.party })).body;
    expect(registry.map((s: { id: string; version: number }) => [s.id, s.version])).toEqual([[studentId, 1]]);
  });

  it('exports the student in the TensorFlow.js layers format: loadLayersModel fetches model.json and weights.bin', async () => {
    await tf.setBackend('cpu'); // this process's own TensorFlow.js, independent of the services'
    const modelUrl = `${student.url}/v1/students/${studentId}/model.json`;
    const noKey = await fetch(modelUrl);
    expect(noKey.status).toBe(401);
    const handler = tf.io.http(modelUrl, {
      requestInit: { headers: { authorization: `Bearer ${api.party}` } },
      fetchFunc: fetchInThisRealm,
    });
    const model = await tf.loadLayersModel(handler);
    const local = tf.tidy(() =>
      Array.from(
        (model.predict(tf.tensor(evaluationImages.slice(0, 50).flat(), [50, 28, 28, 1])) as tf.Tensor)
          .argMax(1)
          .dataSync(),
      ),
    );
    const correct = local.filter((label, i) => label === evaluationLabels[i]).length;
    expect(correct / 50).toBeGreaterThan(0.4);
    model.dispose();

    const card = await call(`${student.url}/v1/students/${studentId}/model-card.json`, { key: api.party });
    expect(card.status).toBe(200);
    expect(card.body.model.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const weights = await fetch(`${student.url}/v1/students/${studentId}/weights.bin`, {
      headers: { authorization: `Bearer ${api.party}` },
    });
    expect(weights.headers.get('content-type')).toContain('application/octet-stream');
    expect((await weights.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await call(`${student.url}/v1/students/${studentId}/secrets.txt`, { key: api.party })).status).toBe(404);
  });

  it('accepts the student: every teacher service discards its teachers, audited; new jobs are refused', async () => {
    const records = evaluationImages.slice(0, 20);
    const early = await post(`${student.url}/v1/datasets/${datasetId}/predict`, { records }, api.party);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('NO_ACCEPTED_STUDENT');
    const notAdmin = await post(`${student.url}/v1/students/${studentId}/accept`, {}, api.party);
    expect(notAdmin.status).toBe(403);

    const accepted = await post(`${student.url}/v1/students/${studentId}/accept`, {}, api.admin);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: studentId, version: 1, status: 'accepted', supersededId: null });
    expect(accepted.body.discard.teachers).toHaveLength(TEACHERS.length);
    const discarded = await waitFor(
      'teacher discard',
      async () => (await call(`${student.url}/v1/students/${studentId}`, { key: api.admin })).body,
      (s) => s.discard?.status !== 'pending',
      60_000,
    );
    expect(discarded.discard.status).toBe('done');
    expect(discarded.discard.teachersDiscardedAt).not.toBeNull();
    expect(discarded.discard.teachers).toEqual(
      TEACHERS.map((id) =>
        expect.objectContaining({ party: `owner-${id}`, status: 'done', modelsDeleted: PARTITIONS_PER_OWNER }),
      ),
    );

    // Each teacher service: the models are gone, its own record says who asked and why, votes answer 410.
    for (const owner of owners) {
      const records = (await call(`${owner.url}/v1/discards`, { key: owner.adminKey })).body;
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        dataset: 'mnist',
        modelsDeleted: PARTITIONS_PER_OWNER,
        requestedByRole: 'guardian',
        reason: `student ${studentId} v1 accepted`,
      });
      const vote = await post(
        `${owner.url}/v1/votes`,
        { dataset: 'mnist', queries: [{ queryId: 'q-1', features: encodeFeatures(new Float32Array(784)) }] },
        owner.guardianKey,
      );
      expect(vote.status).toBe(410);
      expect(vote.body.error.code).toBe('TEACHER_DISCARDED');
    }

    // The audit log: who asked (the accepting operator's key), which owner, which models, when.
    const audit = (await call(`${api.url}/v1/audit?datasetId=${datasetId}`, { key: api.admin })).body;
    const perTeacher = audit.filter((e: { action: string }) => e.action === 'teacher.discarded');
    expect(perTeacher).toHaveLength(TEACHERS.length);
    for (const event of perTeacher) {
      expect(event.actorKeyId).toBe(api.adminKeyId);
      expect(event.details.deletedModelHashes).toHaveLength(PARTITIONS_PER_OWNER);
      expect(event.details).toMatchObject({ datasetId, studentId, modelsDeleted: PARTITIONS_PER_OWNER });
      expect(event.at).toEqual(expect.any(String));
    }
    expect(audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['student.accepted', 'teachers.discard-requested', 'dataset.teachers-discarded']),
    );
    expect((await call(`${api.url}/v1/audit?datasetId=${datasetId}`, { key: api.party })).status).toBe(403);

    const job = await post(
      `${api.url}/v1/jobs`,
      { unlabeledDatasetId: poolId, budgetId, mechanism: 'gnmax', params: { sigma: 2 }, maxQueries: 10 },
      api.party,
    );
    expect(job.body.error.code).toBe('TEACHER_DISCARDED');

    // Accepting again changes nothing: the teachers are not asked twice.
    const again = await post(`${student.url}/v1/students/${studentId}/accept`, {}, api.admin);
    expect(again.body.discard.status).toBe('done');
  });

  it('serves predictions with the deployed student; bad input is refused naming the record', async () => {
    const records = evaluationImages.slice(0, 40);
    const answer = await post(`${student.url}/v1/datasets/${datasetId}/predict`, { records }, api.party);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ studentId, version: 1 });
    expect(answer.body.predictions).toHaveLength(40);
    const correct = answer.body.predictions.filter(
      (p: { label: number; confidence: number }, i: number) => p.label === evaluationLabels[i],
    ).length;
    expect(correct / 40).toBeGreaterThan(0.4);
    expect(answer.body.predictions.every((p: { confidence: number }) => p.confidence > 0 && p.confidence <= 1)).toBe(
      true,
    );

    const short = await post(
      `${student.url}/v1/datasets/${datasetId}/predict`,
      { records: [records[0], records[1]!.slice(0, 100)] },
      api.party,
    );
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('VALIDATION_FAILED');
    expect(short.body.error.message).toContain('records[1]');
    const notNumbers = await post(
      `${student.url}/v1/datasets/${datasetId}/predict`,
      { records: [[...records[0]!.slice(0, 783), 'x']] },
      api.party,
    );
    expect(notNumbers.status).toBe(400);
    expect(notNumbers.body.error.message).toContain('records[0][783]');
    const tooMany = await post(
      `${student.url}/v1/datasets/${datasetId}/predict`,
      { records: Array.from({ length: 1001 }, () => [0]) },
      api.party,
    );
    expect(tooMany.status).toBe(400);
    expect((await post(`${student.url}/v1/datasets/${datasetId}/predict`, { records }, 'ck_bogus_key')).status).toBe(
      401,
    );
    const ownerKey = owners[0]!.adminKey; // a teacher service's key means nothing to the coordinator
    expect((await post(`${student.url}/v1/datasets/${datasetId}/predict`, { records }, ownerKey)).status).toBe(401);
  });
});
