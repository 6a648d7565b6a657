// Readings of the Docker engine's host: the listening sockets of a container's network namespace and CPU use
// between two stats readings, the cgroup files of a container. Pure.

/** Whether a /proc/<pid>/net/tcp or tcp6 table has a socket listening on `port`. */
export function listensOn(table: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[3] === '0A' && cols[1]?.endsWith(`:${hex}`) === true;
  });
}

/** CPU in cores between two Docker stats readings (cumulative nanoseconds of the container and of the host). */
export function cpuCores(cur: { total: number; system: number; cpus: number }, prev: { total: number; system: number }): number {
  const dc = cur.total - prev.total;
  const ds = cur.system - prev.system;
  if (dc <= 0 || ds <= 0) return 0;
  return (dc / ds) * cur.cpus;
}

/** Where a process's memory and CPU accounting live, from its /proc/<pid>/cgroup (v1: per controller; v2: one dir). */
export interface CgroupDirs {
  memory: string;
  cpu: string;
  v2: boolean;
}

/** The cgroup directories of a process under `root`, from the text of /proc/<pid>/cgroup; null when neither is named. */
export function cgroupDirs(text: string, root = '/sys/fs/cgroup'): CgroupDirs | null {
  let memory: string | undefined;
  let cpu: string | undefined;
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (line.slice(0, a) === '0' && controllers === '') unified = `${root}${path}`;
    const names = controllers.split(',');
    if (names.includes('memory')) memory = `${root}/memory${path}`;
    if (names.includes('cpuacct')) cpu = `${root}/${controllers}${path}`;
  }
  // A hybrid host names a unified group too, but its controllers (and their files) are the v1 ones.
  if (memory && cpu) return { memory, cpu, v2: false };
  return unified ? { memory: unified, cpu: unified, v2: true } : null;
}

/** A `key value` line of a cgroup stat file (memory.stat, cpu.stat), or undefined. */
export function statValue(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Memory in use as `docker stats` counts it: usage less the inactive file cache. */
export function memoryInUse(usage: number, memoryStat: string, v2: boolean): number {
  const inactive = statValue(memoryStat, v2 ? 'inactive_file' : 'total_inactive_file') ?? statValue(memoryStat, 'inactive_file') ?? 0;
  return Math.max(0, usage - inactive);
}
