import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropDatabases } from '@conclave/app-cli';

const CLI = resolve(process.cwd(), 'apps/cli/dist/main.js');

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * The main command end to end, at a tiny size: `conclave demo --json` boots the consortium as processes, loads MNIST
 * into two hospitals, trains their teachers, labels with Confident-GNMax, trains and accepts the student (which
 * discards the teachers) and ends with the table as one JSON line.
 */
describe('conclave demo (the main command)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'conclave-demo-e2e-'));
  });

  afterAll(async () => {
    // On PostgreSQL (DATABASE_URL) the demo made its databases under its own prefix.
    if (process.env.DATABASE_URL)
      await dropDatabases({ adminUrl: process.env.DATABASE_URL, databasePrefix: 'conclave_demo' });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the whole PATE flow and ends with the table as one JSON object', async () => {
    const env = { ...process.env };
    const run = await runCli(
      [
        'demo',
        '--json',
        '--ephemeral-ports',
        '--no-keep-running',
        '--data-dir',
        join(dataDir, 'demo'),
        '--hospitals',
        '2',
        '--teachers-per-hospital',
        '3',
        '--teacher-epochs',
        '3',
        '--pool',
        '300',
        '--queries',
        '40',
        '--threshold',
        '3',
        '--sigma1',
        '2',
        '--sigma2',
        '2',
        // Six teachers cannot buy a meaningful ε; this checks the pipeline, not the privacy of the setting.
        '--epsilon-limit',
        '100',
      ],
      env,
    );
    if (run.code !== 0) throw new Error(`demo exited ${run.code}:\n${run.stderr.slice(-3000)}`);
    const lines = run.stdout.trimEnd().split('\n');
    const result = JSON.parse(lines.at(-1)!);
    expect(result).toMatchObject({ setting: 'default', teachers: 6, queriesAsked: 40, delta: 1e-5 });
    for (const field of ['epsilon', 'epsilonBasic', 'epsilonImproved', 'ensembleAccuracy', 'studentAccuracy']) {
      expect(typeof result[field]).toBe('number');
    }
    expect(['improved', 'basic']).toContain(result.conversion);
    expect(result.queriesAnswered).toBeGreaterThan(0);
    expect(result.queriesAnswered).toBeLessThanOrEqual(40);
    expect(result.epsilon).toBeGreaterThan(0);
    // The basic conversion is never tighter than the improved one.
    expect(result.epsilonBasic).toBeGreaterThanOrEqual(result.epsilonImproved);
    // Six small teachers still beat chance by far; a broken pipeline (shuffled labels, wrong ordinals) does not.
    expect(result.ensembleAccuracy).toBeGreaterThan(0.5);
    expect(result.studentAccuracy).toBeGreaterThan(0.3);
    expect(result.baselineAccuracy).toBeGreaterThan(0.5);
    expect(result.teachersDiscarded).toBe(6);
    expect(run.stdout).toContain('student accuracy');
    expect(run.stdout).toContain(result.apiUrl);
  });
});
