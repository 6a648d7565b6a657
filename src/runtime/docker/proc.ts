// Readings of the Docker engine's host: the listening sockets of a container's network namespace and CPU use
// between two stats readings. Pure.

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
