import { describe, expect, it } from '@jest/globals';
import { Expose } from 'class-transformer';
import { CoordinatorEnv } from './base.env.js';
import { ConfigError, loadConfig } from './env.loader.js';

class ExampleEnv extends CoordinatorEnv {
  @Expose()
  override PORT = 3000;
}

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig('example', ExampleEnv, { PORT: '4000' });
    expect(config.PORT).toBe(4000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.CONCLAVE_EMBEDDED_DB_PORT).toBe(54329);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('accepts a PostgreSQL URL', () => {
    const url = 'postgres://conclave:secret@db.internal:5432/coordinator';
    expect(loadConfig('example', ExampleEnv, { DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it('lists every bad variable at once, without echoing values', () => {
    const secret = 'mysql://root:hunter2@db/x';
    let error: unknown;
    try {
      loadConfig('example', ExampleEnv, {
        PORT: 'eighty',
        DATABASE_URL: secret,
        LOG_LEVEL: 'loud',
        MAX_BODY_BYTES: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable);
    expect(new Set(problems)).toEqual(new Set(['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'MAX_BODY_BYTES']));
    expect((error as ConfigError).message).toMatch(/Invalid configuration for example \(4 problems\)/);
    expect((error as ConfigError).message).not.toContain('hunter2');
  });

  it('rejects a port out of range and a URL without a host', () => {
    expect(() => loadConfig('example', ExampleEnv, { PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig('example', ExampleEnv, { DATABASE_URL: 'postgres://' })).toThrow(/DATABASE_URL/);
  });
});
