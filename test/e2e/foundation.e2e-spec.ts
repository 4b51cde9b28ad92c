import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, startTestPlatform, type TestPlatform } from './platform-harness.js';

const SERVICES = ['api', 'aggregator', 'student', 'dealer', 'teacher-a', 'teacher-b', 'teacher-c'];

describe('the consortium as separate processes', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.teardown();
  });

  it('runs every service as its own process', () => {
    const pids = SERVICES.map((s) => platform.processes[s]!.pid);
    expect(new Set(pids).size).toBe(SERVICES.length);
    expect(pids).not.toContain(process.pid);
  });

  it.each(SERVICES)('%s answers /health with its database up, without credentials', async (service) => {
    const { status, body } = await call(`${platform.services[service]!.url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it.each(SERVICES)('%s serves its OpenAPI description at /docs', async (service) => {
    const url = platform.services[service]!.url;
    expect((await call(`${url}/docs`)).status).toBe(200);
    const { status, body } = await call(`${url}/docs/openapi.json`);
    expect(status).toBe(200);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/health', '/v1/whoami', '/v1/keys']));
  });

  it.each(SERVICES)('%s answers 401 without a key and with a bad key', async (service) => {
    const url = platform.services[service]!.url;
    const missing = await call(`${url}/v1/whoami`);
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHENTICATED');
    const bad = await call(`${url}/v1/whoami`, { key: 'ck_000000000000_' + 'A'.repeat(43) });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each(SERVICES)('%s answers 403 to a key of the wrong role, and admits its own admin', async (service) => {
    const { url, adminKey } = platform.services[service]!;
    const me = await call(`${url}/v1/whoami`, { key: adminKey });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admin', service });

    const created = await call(`${url}/v1/keys`, {
      method: 'POST',
      key: adminKey,
      body: { role: 'querying-party', label: 'e2e' },
    });
    expect(created.status).toBe(201);
    const partyKey: string = created.body.key;
    expect((await call(`${url}/v1/whoami`, { key: partyKey })).body.role).toBe('querying-party');

    const forbidden = await call(`${url}/v1/keys`, { key: partyKey });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');

    const listed = await call(`${url}/v1/keys`, { key: adminKey });
    // The secret (base64url, so it may itself contain '_') is everything after 'ck_<prefix>_'.
    expect(JSON.stringify(listed.body)).not.toContain(partyKey.slice('ck_000000000000_'.length));
  });

  it('keeps credentials per party: a teacher’s key is not valid at another teacher', async () => {
    const other = await call(`${platform.services['teacher-b']!.url}/v1/whoami`, {
      key: platform.services['teacher-a']!.adminKey,
    });
    expect(other.status).toBe(401);
  });

  it('revokes a key at once', async () => {
    const { url, adminKey } = platform.services.api!;
    const created = await call(`${url}/v1/keys`, {
      method: 'POST',
      key: adminKey,
      body: { role: 'student', label: 'short-lived' },
    });
    expect((await call(`${url}/v1/keys/${created.body.id}`, { method: 'DELETE', key: adminKey })).status).toBe(204);
    expect((await call(`${url}/v1/whoami`, { key: created.body.key })).status).toBe(401);
  });

  it('answers bad input with a code and keeps serving', async () => {
    const { url, adminKey } = platform.services.api!;
    const malformed = await call(`${url}/v1/keys`, { method: 'POST', key: adminKey, rawBody: '{"role": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_REQUEST');

    const invalid = await call(`${url}/v1/keys`, {
      method: 'POST',
      key: adminKey,
      body: { role: 'root', label: '', extra: true },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    expect(invalid.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'extra',
      'label',
      'role',
    ]);

    const oversized = await call(`${url}/v1/keys`, {
      method: 'POST',
      key: adminKey,
      rawBody: `{"label":"${'x'.repeat(17 * 1024 * 1024)}"}`,
    });
    expect(oversized.status).toBe(413);
    expect(oversized.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const badId = await call(`${url}/v1/keys/not-a-uuid`, { method: 'DELETE', key: adminKey });
    expect(badId.status).toBe(400);

    expect((await call(`${url}/health`)).status).toBe(200);
  });

  it('carries the caller’s correlation id and mints one otherwise', async () => {
    const url = platform.services.aggregator!.url;
    const given = await call(`${url}/v1/whoami`, { headers: { 'x-correlation-id': 'trace-42' } });
    expect(given.headers.get('x-correlation-id')).toBe('trace-42');
    expect(given.body.error.correlationId).toBe('trace-42');
    const minted = await call(`${url}/v1/whoami`, { headers: { 'x-correlation-id': 'bad id with spaces' } });
    expect(minted.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lets an operator set up a consortium, a dataset and a budget, and shows each caller what it may see', async () => {
    const { url, adminKey } = platform.services.api!;
    const post = (path: string, body: unknown, key = adminKey) => call(`${url}${path}`, { method: 'POST', key, body });

    const consortium = await post('/v1/consortia', { name: 'Northern hospitals' });
    expect(consortium.status).toBe(201);
    expect((await post('/v1/consortia', { name: 'Northern hospitals' })).body.error.code).toBe('CONFLICT');
    const cid = consortium.body.id as string;

    const ownerWithoutService = await post(`/v1/consortia/${cid}/parties`, { name: 'St. Mary', kind: 'data-owner' });
    expect(ownerWithoutService.status).toBe(400);
    expect(ownerWithoutService.body.error.code).toBe('VALIDATION_FAILED');
    const owner = await post(`/v1/consortia/${cid}/parties`, {
      name: 'St. Mary',
      kind: 'data-owner',
      teacherServiceUrl: platform.services['teacher-a']!.url,
    });
    expect(owner.status).toBe(201);
    const querying = await post(`/v1/consortia/${cid}/parties`, { name: 'Clinic Q', kind: 'querying-party' });
    expect(querying.status).toBe(201);

    const dataset = await post(`/v1/consortia/${cid}/datasets`, {
      name: 'mnist',
      numClasses: 10,
      recordSchema: { kind: 'image', width: 28, height: 28, channels: 1 },
    });
    expect(dataset.status).toBe(201);

    const badBudget = await post(`/v1/datasets/${dataset.body.id}/budgets`, { name: 'b', epsilon: 'NaN', delta: 1e-5 });
    expect(badBudget.status).toBe(400);
    const unknown = await post('/v1/datasets/00000000-0000-4000-8000-000000000000/budgets', {
      name: 'b',
      epsilon: 2,
      delta: 1e-5,
    });
    expect(unknown.status).toBe(404);
    const budget = await post(`/v1/datasets/${dataset.body.id}/budgets`, {
      name: 'mnist 2026',
      epsilon: 2,
      delta: 1e-5,
    });
    expect(budget.status).toBe(201);
    expect(budget.body).toMatchObject({
      epsilonLimit: 2,
      delta: 1e-5,
      conversion: 'improved',
      epsilonDataIndependent: 0,
      ledgerEntries: 0,
    });

    const partyKey = (await post('/v1/keys', { role: 'querying-party', label: 'clinic q', partyId: querying.body.id }))
      .body.key;
    const asParty = await call(`${url}/v1/budgets/${budget.body.id}`, { key: partyKey });
    expect(asParty.status).toBe(200);
    expect(asParty.body.epsilonDataIndependent).toBe(0);
    expect(asParty.body).not.toHaveProperty('epsilonCharged');
    const asAdmin = await call(`${url}/v1/budgets/${budget.body.id}`, { key: adminKey });
    expect(asAdmin.body).toHaveProperty('epsilonCharged', 0);
    expect(asAdmin.body.epsilonChargedWarning).toMatch(/NOT safe|not safe|smooth-sensitivity/);
    expect((await post('/v1/consortia', { name: 'x' }, partyKey)).status).toBe(403);
  });
});
