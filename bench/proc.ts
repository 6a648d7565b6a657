// Processes' CPU time from /proc, for the benchmarks' tables (bench/*).
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat and /proc/<pid>/stat (USER_HZ on Linux). */
export const USER_HZ = 100;

/**
 * User and system CPU seconds `pid` has used so far; with `reaped`, plus those of the children it has waited for.
 * Zeros for a process that is gone.
 */
export function cpuSeconds(pid: number, reaped = false): { user: number; system: number } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { user: 0, system: 0 };
  }
  // The fields after the command (which may hold spaces and parentheses): state [0], utime [11], stime [12],
  // cutime [13], cstime [14].
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(f[11]) + (reaped ? Number(f[13]) : 0);
  const system = Number(f[12]) + (reaped ? Number(f[14]) : 0);
  return { user: user / USER_HZ, system: system / USER_HZ };
}
