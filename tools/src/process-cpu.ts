import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** CPU seconds so far of every process of the platform, plus this process under `self`. */
export function cpuSnapshot(platform: Platform, self: string): Record<string, number | null> {
  const snapshot: Record<string, number | null> = {};
  for (const [name, p] of Object.entries(platform.processes)) snapshot[name] = cpuSecondsOf(p.pid);
  const own = process.cpuUsage();
  snapshot[self] = (own.user + own.system) / 1e6;
  return snapshot;
}
