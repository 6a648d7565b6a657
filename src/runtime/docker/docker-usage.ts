// CPU and memory of the Docker backend's processes (runtime.ts `usage`; docs/architecture.md §6): read from each
// container's own cgroup files when the engine runs on this host, else asked of the engine (`docker stats`). Keeps
// each process's host pid as last inspected, which listening() reads too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from '../runtime.js';
import type { DockerEngine } from './engine.js';
import { cgroupDirs, cpuCores, memoryInUse, statValue } from './proc.js';

interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: { inactive_file?: number; total_inactive_file?: number } };
}

export class ContainerUsage {
  private readonly pids = new Map<string, number>();
  /** The last CPU reading of each process taken from its cgroup (cumulative ns, when): the next one's rate is against it. */
  private readonly cpuReadings = new Map<string, { ns: number; at: number }>();

  constructor(private readonly engine: DockerEngine) {}

  /** The process's host pid, as last inspected. */
  pid(id: string): number | undefined {
    return this.pids.get(id);
  }

  seen(id: string, pid: number): void {
    this.pids.set(id, pid);
  }

  /** The process is gone. */
  forget(id: string): void {
    this.pids.delete(id);
    this.cpuReadings.delete(id);
  }

  async usage(id: string): Promise<Usage | null> {
    const direct = await this.fromCgroup(id).catch(() => null);
    if (direct) return direct;
    const stats = (await this.engine.docker
      .getContainer(id)
      .stats({ stream: false })
      .catch(() => null)) as DockerStats | null; // gone between list and stats
    if (!stats) return null;
    const cs = stats.cpu_stats ?? {};
    const ps = stats.precpu_stats ?? {};
    const ms = stats.memory_stats ?? {};
    return {
      cpuCores: cpuCores(
        { total: cs.cpu_usage?.total_usage ?? 0, system: cs.system_cpu_usage ?? 0, cpus: cs.online_cpus ?? 1 },
        { total: ps.cpu_usage?.total_usage ?? 0, system: ps.system_cpu_usage ?? 0 },
      ),
      memoryBytes: Math.max(0, (ms.usage ?? 0) - (ms.stats?.inactive_file ?? ms.stats?.total_inactive_file ?? 0)),
    };
  }

  /**
   * CPU and memory read from the process's own cgroup files when the engine runs on this host: `docker stats` costs the
   * engine a round trip to containerd and the container's shim per process, which for a thousand idle apps sampled every
   * YB_METRICS_INTERVAL was most of the engine's idle CPU (issue #21). CPU is the rate since the previous reading; null
   * (ask the engine) without one, without a known pid, or when the pid's cgroup is not this container's (pid reused).
   */
  private async fromCgroup(id: string): Promise<Usage | null> {
    const pid = this.pids.get(id);
    if (!this.engine.local || !pid) return null;
    const dirs = cgroupDirs(await readFile(`/proc/${pid}/cgroup`, 'utf8'));
    if (!dirs?.memory.includes(id) || !dirs.cpu.includes(id)) return null;
    const [usage, memStat, cpu] = await Promise.all([
      readFile(join(dirs.memory, dirs.v2 ? 'memory.current' : 'memory.usage_in_bytes'), 'utf8'),
      readFile(join(dirs.memory, 'memory.stat'), 'utf8'),
      readFile(join(dirs.cpu, dirs.v2 ? 'cpu.stat' : 'cpuacct.usage'), 'utf8'),
    ]);
    const ns = dirs.v2 ? (statValue(cpu, 'usage_usec') ?? 0) * 1000 : Number(cpu.trim());
    const at = performance.now();
    const prev = this.cpuReadings.get(id);
    this.cpuReadings.set(id, { ns, at });
    if (!prev || at <= prev.at) return null;
    return { cpuCores: Math.max(0, ns - prev.ns) / ((at - prev.at) * 1e6), memoryBytes: memoryInUse(Number(usage.trim()), memStat, dirs.v2) };
  }
}
