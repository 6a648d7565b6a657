// The hardening every workload the platform creates gets, by kind (app process, one-off, build, backing service):
// a pids limit, no-new-privileges, a reduced capability set and a memory limit (issue #14). Pure and shared by the
// backends: hostHardening gives Docker's HostConfig fields; the Kubernetes backend maps the same settings to a pod.

export type ContainerKind = 'process' | 'one-off' | 'build' | 'service';

export interface HardeningSettings {
  /** Pids (processes and threads) of an app process or one-off container; 0: no limit. */
  processPids: number;
  /** Pids of a build container (compilers and package managers run many at once); 0: no limit. */
  buildPids: number;
  /** Pids of a backing service (postgres runs a process per connection, MariaDB a thread); 0: no limit. */
  servicePids: number;
  /** Memory of an app process or one-off container whose size does not say; 0: no limit. */
  processMemoryBytes: number;
  /** Memory of a backing service; 0: no limit. */
  serviceMemoryBytes: number;
}

export const DEFAULT_HARDENING: HardeningSettings = {
  processPids: 512,
  buildPids: 4096,
  servicePids: 1024,
  processMemoryBytes: 512 * 1024 * 1024,
  serviceMemoryBytes: 1024 * 1024 * 1024,
};

/**
 * Docker's default capability set minus what a tenant could use against its neighbours or the host: NET_RAW (ARP
 * and ICMP spoofing on the team network, raw sockets), MKNOD (device nodes), SYS_CHROOT, AUDIT_WRITE, SETPCAP,
 * SETFCAP (file capabilities) and FSETID. What stays lets a Dockerfile image that starts as root bind a port below
 * 1024, chown its files and drop to its own user (su, gosu, setpriv); buildpack processes run as uid 1000 and
 * have none of them in effect anyway.
 */
export const PROCESS_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'] as const;

/** Service images start as root, chown their volume and drop to their user with setpriv; tini (root) signals it. */
export const SERVICE_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETUID'] as const;

export interface HostHardening {
  PidsLimit?: number;
  SecurityOpt: string[];
  CapDrop: string[];
  CapAdd: string[];
  Memory?: number;
  MemorySwap?: number;
}

/**
 * The HostConfig fields for a container of `kind`. `memoryBytes` is the container's own limit (a process size, the
 * build limit); app processes, one-offs and services without one get their default. Swap is held to the memory limit, so a
 * process that outgrows it is killed there (exit 137) rather than pushing the host into swap.
 */
export function hostHardening(kind: ContainerKind, settings: HardeningSettings, memoryBytes?: number): HostHardening {
  const pids = kind === 'build' ? settings.buildPids : kind === 'service' ? settings.servicePids : settings.processPids;
  const fallback = kind === 'process' || kind === 'one-off' ? settings.processMemoryBytes : kind === 'service' ? settings.serviceMemoryBytes : 0;
  const memory = memoryBytes ?? (fallback || undefined);
  return {
    PidsLimit: pids > 0 ? pids : undefined,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: ['ALL'],
    // Builds run as the unprivileged build user and need no capability at all.
    CapAdd: kind === 'build' ? [] : kind === 'service' ? [...SERVICE_CAPS] : [...PROCESS_CAPS],
    ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
  };
}
