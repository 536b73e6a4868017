/**
 * CPU time and memory of any local process, read from /proc, so a contender's cost is
 * measured from outside and the same way for Node processes, nats-server and PostgreSQL
 * backends.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | null = null;

/** Clock ticks per second of /proc/<pid>/stat times (usually 100). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks =
        Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds used by a process so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / ticksPerSecond();
  } catch {
    return null;
  }
}

export interface MemoryStats {
  /** Resident set size now. */
  rssBytes: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
}

/** Current and peak RSS of a process, or null when it is gone. */
export function memory(pid: number): MemoryStats | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Sum of CPU seconds over processes (gone ones count 0). */
export function totalCpuSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += cpuSeconds(pid) ?? 0;
  return total;
}

/** CPU seconds of each pid now, to subtract later (pids that appear later start at 0). */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  const snap = new Map<number, number>();
  for (const pid of pids) snap.set(pid, cpuSeconds(pid) ?? 0);
  return snap;
}

/** CPU seconds used since `before`, summed over `pids`. */
export function cpuSince(before: Map<number, number>, pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const now = cpuSeconds(pid);
    if (now !== null) total += now - (before.get(pid) ?? 0);
  }
  return total;
}
