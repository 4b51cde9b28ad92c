import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { SERVICE_SCRIPTS } from '@conclave/app-cli';

describe('a bad configuration stops the app at boot', () => {
  it.each(['api', 'aggregator', 'student', 'dealer', 'teacher'] as const)(
    '%s lists every bad variable and exits 1',
    (app) => {
      const result = spawnSync(process.execPath, [SERVICE_SCRIPTS[app]], {
        env: {
          PATH: process.env.PATH,
          PORT: 'eighty',
          DATABASE_URL: 'mysql://root:hunter2@localhost/x',
          LOG_LEVEL: 'chatty',
          ...(app === 'teacher' ? { TEACHER_ID: 'Not Valid!' } : {}),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/Invalid configuration/);
      for (const variable of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', ...(app === 'teacher' ? ['TEACHER_ID'] : [])]) {
        expect(result.stderr).toContain(`- ${variable}:`);
      }
      expect(result.stderr).not.toContain('hunter2');
      expect(result.stdout).not.toContain('listening');
    },
  );
});

describe('the test-only noise seed of the guardian', () => {
  const boot = (env: Record<string, string>) =>
    spawnSync(process.execPath, [SERVICE_SCRIPTS.aggregator], {
      env: { PATH: process.env.PATH, AGGREGATOR_INSECURE_NOISE_SEED: 'seed-hunter2', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each([['production'], ['development'], [undefined]])(
    'is refused unless NODE_ENV=test (NODE_ENV=%s): exit 1, the variable named, its value never echoed',
    (nodeEnv) => {
      const result = boot(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/Invalid configuration/);
      expect(result.stderr).toMatch(/- AGGREGATOR_INSECURE_NOISE_SEED: .*only when NODE_ENV=test/);
      expect(result.stderr + result.stdout).not.toContain('seed-hunter2');
      expect(result.stdout).not.toContain('listening');
    },
  );

  it('is accepted by the validation when NODE_ENV=test (here only the bad PORT is listed)', () => {
    const result = boot({ NODE_ENV: 'test', PORT: 'eighty' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('- PORT:');
    expect(result.stderr).not.toContain('AGGREGATOR_INSECURE_NOISE_SEED');
    expect(result.stderr + result.stdout).not.toContain('seed-hunter2');
  });
});
