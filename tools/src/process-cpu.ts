import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Platform } from '@conclave/app-cli';

/** Clock ticks per second of /proc's CPU counters. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * CPU seconds so far of every PostgreSQL server process on this machine (postmaster and backends; Linux), or null
 * if none is visible. A backend that exits between two snapshots takes its CPU time with it: compare snapshots taken
 * while the platform's connections stay open.
 */
export function postgresCpuSeconds(): number | null {
  let total = 0;
  let found = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const seconds = cpuSecondsOf(Number(pid));
    if (seconds === null) continue;
    total += seconds;
    found = true;
  }
  return found ? total : null;
}

/**
 * CPU seconds so far of every process of the platform, plus this process under `self`; with `postgres`, the local
 * PostgreSQL server's processes under `db` (the platform then has no embedded database process).
 */
export function cpuSnapshot(
  platform: Platform,
  self: string,
  options: { postgres?: boolean } = {},
): Record<string, number | null> {
  const snapshot: Record<string, number | null> = {};
  for (const [name, p] of Object.entries(platform.processes)) snapshot[name] = cpuSecondsOf(p.pid);
  if (options.postgres) snapshot.db = postgresCpuSeconds();
  const own = process.cpuUsage();
  snapshot[self] = (own.user + own.system) / 1e6;
  return snapshot;
}
