import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DomainError } from '../errors/domain.error.js';
import { runWithCorrelationId } from '../logging/correlation.js';
import { ServiceClient } from './service-client.js';

/** A real HTTP server on loopback whose behaviour each test scripts. */
describe('ServiceClient', () => {
  let server: Server;
  let baseUrl: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  let seen: Array<{ method?: string; url?: string; authorization?: string; correlation?: string }>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        correlation: req.headers['x-correlation-id'] as string | undefined,
      });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = [];
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const client = (overrides: Partial<ConstructorParameters<typeof ServiceClient>[0]> = {}) =>
    new ServiceClient({
      service: 'teacher-a',
      baseUrl,
      apiKey: 'ck_test',
      retries: 3,
      backoffMs: 1,
      timeoutMs: 2000,
      ...overrides,
    });

  it('retries transient failures with backoff, then succeeds; sends the key and the correlation id', async () => {
    let calls = 0;
    handler = (_req, res) => (++calls < 3 ? json(res, 503, {}) : json(res, 200, { ok: true }));
    const result = await runWithCorrelationId('corr-123', () => client().get<{ ok: boolean }>('/v1/status'));
    expect(result).toEqual({ ok: true });
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.authorization === 'Bearer ck_test' && s.correlation === 'corr-123')).toBe(true);
  });

  it('gives up after the configured retries with UPSTREAM_ERROR', async () => {
    handler = (_req, res) => json(res, 500, {});
    await expect(client({ retries: 2 }).get('/v1/status')).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(seen).toHaveLength(3);
  });

  it('does not repeat a POST unless it is idempotent', async () => {
    handler = (_req, res) => json(res, 503, {});
    await expect(client().post('/v1/votes', { q: 1 })).rejects.toBeInstanceOf(DomainError);
    expect(seen).toHaveLength(1);
    seen = [];
    await expect(client({ retries: 1 }).post('/v1/votes', { q: 1 }, { idempotent: true })).rejects.toBeInstanceOf(
      DomainError,
    );
    expect(seen).toHaveLength(2);
  });

  it('passes an upstream 4xx code through without retrying', async () => {
    handler = (_req, res) =>
      json(res, 404, { error: { code: 'PARTITION_NOT_FOUND', message: 'No partition p', correlationId: 'x' } });
    await expect(client().get('/v1/partitions/p')).rejects.toMatchObject({ code: 'PARTITION_NOT_FOUND' });
    expect(seen).toHaveLength(1);
  });

  it('times out a slow service and reports it unavailable', async () => {
    handler = (_req, res) => setTimeout(() => json(res, 200, {}), 1000);
    await expect(client({ timeoutMs: 100, retries: 1 }).get('/slow')).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(seen).toHaveLength(2);
  });

  it('reports a service that is not listening as unavailable', async () => {
    await expect(client({ baseUrl: 'http://127.0.0.1:1', retries: 1 }).get('/x')).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });
});
