import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time from Linux's /proc, for saying where a benchmark's time went: a process's own (user +
 * system) and the whole machine's busy time. /proc counts in USER_HZ ticks, which the kernel fixes
 * at 100 per second for userspace whatever its internal tick rate. Elsewhere (no /proc) every
 * reading is null.
 */

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far, or null when it is gone (or there is no /proc). */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name and state.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The machine's busy CPU seconds so far (all cores; idle and I/O wait left out), or null without /proc. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const ticks = values.map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const busy = (ticks[0] ?? 0) + (ticks[1] ?? 0) + (ticks[2] ?? 0) + (ticks[5] ?? 0) + (ticks[6] ?? 0) + (ticks[7] ?? 0);
    return busy / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds used by a set of processes between two readings; a process missing from either counts what is known. */
export function cpuUsedBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, end] of after) total += end - (before.get(pid) ?? 0);
  return total;
}

/** Reads the CPU seconds of each pid that is still there. */
export function readProcessesCpu(pids: readonly number[]): Map<number, number> {
  const readings = new Map<number, number>();
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== null) readings.set(pid, seconds);
  }
  return readings;
}

/** The pids of the processes whose command name is `name` (every process of a local Postgres: `postgres`). */
export function pidsNamed(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** This process's CPU seconds so far (user + system, all its threads). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
