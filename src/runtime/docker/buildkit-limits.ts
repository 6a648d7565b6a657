// Memory, CPU and process-count limits for the RUN steps of BuildKit builds. The engine's BuildKit (Docker 20.10) ignores the
// build API's limits, but runs every RUN step in a cgroup under <daemon cgroup parent>/buildkit/<step>: with the
// cgroupfs driver that is docker/buildkit. A limit set on that parent holds for all steps below it, so each
// Dockerfile build gets at most YB_BUILD_MEMORY, YB_BUILD_CPUS and YB_BUILD_PIDS (builds running at the same time
// share them), so a fork bomb in a RUN step stops at the process limit instead of exhausting the host's.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BuildkitLimits {
  memoryBytes?: number;
  /** CPUs (e.g. 1.5); 0 or absent: no CPU limit. */
  cpus?: number;
  /** Processes and threads of all RUN steps together; 0 or absent: no limit. */
  pids?: number;
}

/** What the engine says of its cgroups (docker info). */
export interface EngineCgroups {
  version: string; // "1" or "2"
  driver: string; // "cgroupfs" or "systemd"
}

const CPU_PERIOD_US = 100_000;

/**
 * Writes `limits` (absent ones as "no limit") on the cgroup of BuildKit's RUN steps under `root`. Returns the
 * directories written, or throws with the reason when this engine's layout is not one it knows.
 */
export async function limitBuildkitSteps(engine: EngineCgroups, limits: BuildkitLimits, root = '/sys/fs/cgroup'): Promise<string[]> {
  if (engine.driver !== 'cgroupfs')
    throw new Error(`the engine uses the ${engine.driver} cgroup driver; only cgroupfs puts BuildKit's steps under docker/buildkit`);
  const quota = limits.cpus ? Math.round(limits.cpus * CPU_PERIOD_US) : undefined;
  if (engine.version === '1') {
    const memory = join(root, 'memory', 'docker', 'buildkit');
    const cpu = join(root, 'cpu', 'docker', 'buildkit');
    await mkdir(memory, { recursive: true });
    await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes || -1));
    await mkdir(cpu, { recursive: true });
    await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(quota ?? -1));
    const pids = join(root, 'pids', 'docker', 'buildkit');
    await mkdir(pids, { recursive: true });
    await writeFile(join(pids, 'pids.max'), limits.pids ? String(limits.pids) : 'max');
    return [memory, cpu, pids];
  }
  if (engine.version === '2') {
    const docker = join(root, 'docker');
    const dir = join(docker, 'buildkit');
    await mkdir(dir, { recursive: true });
    // Limits on docker/buildkit exist only when docker/ hands the controllers down to its children.
    await writeFile(join(docker, 'cgroup.subtree_control'), '+memory +cpu +pids');
    await writeFile(join(dir, 'memory.max'), limits.memoryBytes ? String(limits.memoryBytes) : 'max');
    await writeFile(join(dir, 'cpu.max'), `${quota ?? 'max'} ${CPU_PERIOD_US}`);
    await writeFile(join(dir, 'pids.max'), limits.pids ? String(limits.pids) : 'max');
    return [dir];
  }
  throw new Error(`unknown cgroup version ${engine.version}`);
}

/**
 * Applies YB_BUILD_MEMORY and YB_BUILD_CPUS to BuildKit's RUN steps when the engine runs on this host with a layout
 * `limitBuildkitSteps` knows; otherwise says, once, that they run unlimited and what does limit them.
 */
export async function applyBuildkitLimits(
  engine: EngineCgroups & { local: boolean },
  limits: BuildkitLimits,
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void },
): Promise<boolean> {
  const unlimited = 'BuildKit RUN steps run without memory, CPU and process limits (YB_DOCKERFILE_BUILDER=classic applies memory and CPU to Dockerfile builds)';
  if (!engine.local) {
    log.warn({ reason: 'the Docker engine is on another host' }, unlimited);
    return false;
  }
  try {
    const cgroups = await limitBuildkitSteps(engine, limits);
    log.info(
      {
        cgroups,
        memoryMiB: limits.memoryBytes ? limits.memoryBytes / 1024 / 1024 : 'unlimited',
        cpus: limits.cpus || 'unlimited',
        pids: limits.pids || 'unlimited',
      },
      'BuildKit RUN steps limited',
    );
    return true;
  } catch (err) {
    log.warn({ reason: (err as Error).message }, unlimited);
    return false;
  }
}
