import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DomainError } from '@conclave/common';

/**
 * PGlite is a single-process database: two processes opening one data directory corrupt it.
 * A pid file next to the directory makes the second opener fail with a clear message instead.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.pid`;
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new DomainError(
          'CONFLICT',
          `The embedded database ${dataDir} is open in process ${holder}; stop it first or go through its API`,
        );
      }
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new DomainError('CONFLICT', `Could not lock the embedded database ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
