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
