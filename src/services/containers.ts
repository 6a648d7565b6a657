// The runtime workloads of provisioned services: one process (on the team network, alias = service name) with one
// named data volume each, both the runtime's to prove ours before anything is removed (runtime/runtime.ts).
import type { Runtime } from '../runtime/runtime.js';
import type { ExecStep } from './kinds.js';

export interface ServiceContainerSpec {
  service: string;
  team: string;
  image: string;
  /** The port its clients connect to. */
  port: number;
  env: Record<string, string>;
  network: string;
  backupsDir: string;
}

export class ServiceContainers {
  constructor(private readonly runtime: Runtime) {}

  containerName(service: string): string {
    return `${this.runtime.instance}.svc.${service}`;
  }

  /** The team's network, shared with the team's apps (docs/architecture.md §6: teams cannot reach each other). */
  network(team: string): Promise<string> {
    return this.runtime.ensureNetwork(team);
  }

  volumeName(service: string): string {
    return `${this.runtime.instance}-svc-${service}`;
  }

  /** Creates the data volume, the process, and starts it; resolves to its id. */
  async create(spec: ServiceContainerSpec): Promise<string> {
    const { id } = await this.runtime.startProcess({
      name: this.containerName(spec.service),
      workload: { kind: 'service', service: spec.service, team: spec.team },
      image: spec.image,
      command: undefined,
      env: spec.env,
      listens: [spec.port],
      network: spec.network,
      aliases: [spec.service],
      volumes: [{ name: this.volumeName(spec.service), path: '/data' }],
      hostDirs: [{ dir: spec.backupsDir, path: '/backups' }],
      // Services outlive the control plane and survive an engine restart.
      restart: 'always',
    });
    return id;
  }

  /** The service's process id, or null; only a process the runtime lists as this service's counts. */
  async find(service: string): Promise<string | null> {
    const list = await this.runtime.listProcesses({ kind: 'service', service });
    return list[0]?.id ?? null;
  }

  async isRunning(id: string): Promise<boolean> {
    return (await this.runtime.processState(id))?.running === true;
  }

  async restart(id: string, graceSeconds = 30): Promise<void> {
    await this.runtime.restartProcess(id, graceSeconds);
  }

  async stop(id: string, graceSeconds = 30): Promise<void> {
    await this.runtime.pauseProcess(id, graceSeconds);
  }

  async start(id: string): Promise<void> {
    await this.runtime.resumeProcess(id);
  }

  /** Removes the service's process and volume (the runtime checks both are this service's). */
  async remove(service: string): Promise<void> {
    const id = await this.find(service);
    if (id) await this.runtime.stopProcess(id, 30);
    await this.runtime.removeVolume(this.volumeName(service), service);
  }

  /** Runs a step inside the process; resolves to its exit code and (capped) output. */
  async exec(id: string, step: ExecStep, user?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    // Backups and restores take as long as the data does; the step's own tools bound them.
    const r = await this.runtime.exec(id, step.cmd, { timeoutMs: 24 * 3600_000, env: step.env, ...(user ? { user } : {}) });
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async logsTail(id: string, lines = 15): Promise<string[]> {
    return this.runtime.logsTail(id, lines).catch(() => [] as string[]);
  }
}
