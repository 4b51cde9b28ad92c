import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabases, startPlatform, type Platform } from '@conclave/app-cli';

export interface TestPlatform extends Platform {
  engine: 'embedded' | 'postgres';
  teardown(): Promise<void>;
}

/**
 * The consortium of docker-compose.yml as processes on loopback, on ephemeral ports: the embedded
 * coordinator database server (or PostgreSQL when DATABASE_URL is set, one database per party),
 * api, aggregator, student, dealer and three teacher services with their own databases.
 */
export async function startTestPlatform(
  teachers = ['a', 'b', 'c'],
  env: Record<string, Record<string, string>> = {},
): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-e2e-'));
  const adminUrl = process.env.DATABASE_URL;
  const postgres = adminUrl
    ? { adminUrl, databasePrefix: `conclave_e2e_${randomBytes(4).toString('hex')}` }
    : undefined;
  const platform = await startPlatform({
    dataDir,
    teachers,
    ports: 'ephemeral',
    postgres,
    logLevel: 'warn',
    env,
  }).catch(async (error) => {
    if (postgres) await dropDatabases(postgres);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...platform,
    engine: postgres ? 'postgres' : 'embedded',
    teardown: async () => {
      await platform.stop();
      if (postgres) await dropDatabases(postgres);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function call(
  url: string,
  init: { method?: string; key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body !== undefined || init.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, headers: response.headers };
}
