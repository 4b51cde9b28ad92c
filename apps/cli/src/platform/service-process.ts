import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export interface SpawnServiceOptions {
  name: string;
  /** Node entry point (compiled JavaScript). */
  script: string;
  args?: string[];
  /** Node and V8 options, before the script (e.g. heap sizing). */
  nodeOptions?: string[];
  env: NodeJS.ProcessEnv;
  /** Every line the service prints goes here (JSON logs). */
  logFile: string;
  startTimeoutMs?: number;
}

/**
 * Starts a Conclave service as its own process and resolves once it logs `listening` with its URL
 * (services may listen on port 0; the URL comes from the log line, so there is no port race).
 */
export function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log, { end: false });
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${options.name} did not start within ${options.startTimeoutMs ?? 120_000} ms (log: ${options.logFile})`,
        ),
      );
    }, options.startTimeoutMs ?? 120_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with code ${code} before listening:\n${stderrTail}`));
    };
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      const url = listeningUrl(line);
      if (!url) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ name: options.name, url, pid: child.pid!, child, stop: () => stopChild(child, log) });
    });
  });
}

function listeningUrl(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    return entry.msg === 'listening' && typeof entry.url === 'string' ? entry.url : null;
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess, log: NodeJS.WritableStream): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const grace = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(grace);
  }
  log.end();
}
