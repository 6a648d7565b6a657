// Docker objects of provisioned services: one container (on the team network, alias = service name) and one
// named volume each, both labelled as ours. Never touches an object without our instance and service labels.
import { PassThrough } from 'node:stream';
import { LABEL_INSTANCE, LABEL_KIND, type DockerRuntime } from '../runtime/docker.js';
import { teamNetwork } from '../scheduler/rollout.js';
import type { ExecStep } from './kinds.js';

export const LABEL_SERVICE = 'yunbang.service';
const MAX_OUTPUT = 64 * 1024;

export interface ServiceContainerSpec {
  service: string;
  team: string;
  image: string;
  env: Record<string, string>;
  network: string;
  backupsDir: string;
}

export class ServiceContainers {
  constructor(private readonly runtime: DockerRuntime) {}

  private get docker() {
    return this.runtime.docker;
  }

  private labels(service: string, team: string): Record<string, string> {
    return { [LABEL_INSTANCE]: this.runtime.instance, [LABEL_KIND]: 'service', [LABEL_SERVICE]: service, 'yunbang.team': team };
  }

  containerName(service: string): string {
    return `${this.runtime.instance}.svc.${service}`;
  }

  /** The team's network, shared with the team's apps (docs/architecture.md §6: teams cannot reach each other). */
  network(team: string): string {
    return teamNetwork(this.runtime.instance, team);
  }

  volumeName(service: string): string {
    return `${this.runtime.instance}-svc-${service}`;
  }

  /** Creates the data volume (labelled), the container, and starts it; resolves to the container id. */
  async create(spec: ServiceContainerSpec): Promise<string> {
    const labels = this.labels(spec.service, spec.team);
    await this.runtime.ensureNetwork(spec.network, { 'yunbang.team': spec.team });
    await this.runtime.call(() => this.docker.createVolume({ Name: this.volumeName(spec.service), Labels: labels }));
    const container = await this.runtime.call(() =>
      this.docker.createContainer({
        name: this.containerName(spec.service),
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        HostConfig: {
          ...this.runtime.hostHardening('service'),
          Binds: [`${this.volumeName(spec.service)}:/data`, `${spec.backupsDir}:/backups`],
          // Services outlive the control plane and survive a Docker engine restart.
          RestartPolicy: { Name: 'unless-stopped' },
          Init: true,
        },
        NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [spec.service] } } },
      }),
    );
    await this.runtime.call(() => container.start());
    return container.id;
  }

  /** The service's container id, or null; only a container carrying our labels for this service counts. */
  async find(service: string): Promise<string | null> {
    const list = await this.runtime.list({ [LABEL_KIND]: 'service', [LABEL_SERVICE]: service });
    return list[0]?.id ?? null;
  }

  async isRunning(id: string): Promise<boolean> {
    return (await this.runtime.inspect(id))?.State.Running === true;
  }

  async restart(id: string, graceSeconds = 30): Promise<void> {
    await this.runtime.call(() => this.docker.getContainer(id).restart({ t: graceSeconds }));
  }

  async stop(id: string, graceSeconds = 30): Promise<void> {
    await this.runtime
      .call(() => this.docker.getContainer(id).stop({ t: graceSeconds }))
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // 304: already stopped
      });
  }

  async start(id: string): Promise<void> {
    await this.runtime
      .call(() => this.docker.getContainer(id).start())
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // 304: already running
      });
  }

  /** Removes the service's container and volume, after checking both carry our labels. */
  async remove(service: string): Promise<void> {
    const id = await this.find(service);
    if (id) await this.runtime.stopAndRemove(id, 30);
    const volume = this.docker.getVolume(this.volumeName(service));
    const info = await this.runtime
      .call(() => volume.inspect())
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return null;
        throw err;
      });
    if (!info || info.Labels?.[LABEL_INSTANCE] !== this.runtime.instance || info.Labels?.[LABEL_SERVICE] !== service) return;
    await this.runtime.call(() => volume.remove());
  }

  /** Runs a step inside the container; resolves to its exit code and (capped) output. */
  async exec(id: string, step: ExecStep, user?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = this.docker.getContainer(id);
    const ex = await this.runtime.call(() =>
      c.exec({ Cmd: step.cmd, Env: Object.entries(step.env).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true, User: user }),
    );
    const stream = await ex.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-MAX_OUTPUT)));
    err.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_OUTPUT)));
    this.docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    let info = await ex.inspect();
    for (let i = 0; i < 40 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the stream can end a moment before the engine records the exit
      info = await ex.inspect();
    }
    return { code: info.ExitCode ?? -1, stdout, stderr };
  }

  async logsTail(id: string, lines = 15): Promise<string[]> {
    return this.runtime.logsTail(id, lines).catch(() => [] as string[]);
  }
}
