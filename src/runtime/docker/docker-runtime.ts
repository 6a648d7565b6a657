// The Docker backend of the runtime contract (runtime.ts; docs/architecture.md §6): one engine on this host runs every
// workload as a container carrying the instance's labels; the router gets the container's own address, or a port
// published on 127.0.0.1 where that address is not reachable (DockerEndpoints). Only containers, networks and volumes
// that carry our labels are ever touched.
import { readFile } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { splitLines } from '../../shared/line-splitter.js';
import {
  APP_USER,
  RunTimeoutError,
  storageVolume,
  type Address,
  type Attachment,
  type ExecResult,
  type ProcessInfo,
  type ProcessSpec,
  type ProcessState,
  type Runtime,
  type RuntimeEvent,
  type Selector,
  type TaskSpec,
  type Usage,
  type Workload,
} from '../runtime.js';
import { attachContainer } from './docker-attach.js';
import { DockerEvents } from './docker-events.js';
import { DockerNetworks } from './docker-networks.js';
import { DockerImages, healthCommand } from './docker-images.js';
import { DockerEngine, demux } from './engine.js';
import { ContainerUsage } from './docker-usage.js';
import { DEFAULT_HARDENING, hostHardening, type ContainerKind, type HardeningSettings } from '../hardening.js';
import { LABEL_INSTANCE, LABEL_KIND, LABEL_SERVICE, labelFilters, workloadLabels, workloadOf } from '../workload-labels.js';
import { listensOn } from './proc.js';

/** Docker's default HEALTHCHECK --timeout. */
const DOCKER_CHECK_TIMEOUT_MS = 30_000;
const MAX_EXEC_OUTPUT = 64 * 1024;

/**
 * How a process's address is given to routers (docs/architecture.md §6.1). `container`: its address on its network,
 * which the host routes to the bridge directly; nothing sits between, so requests keep flowing while the engine
 * restarts with live-restore. `published`: a port published on 127.0.0.1, served by the engine's port proxy (gone
 * while the engine is down), for engines whose bridges this host cannot reach (remote or rootless).
 */
export type DockerEndpoints = 'container' | 'published';

/** On a process container: the port it serves on (the image may expose others). */
const LABEL_PORT = 'yunbang.port';

/** The address routers reach a running container at, by `endpoints`, or undefined. Pure. */
export function addressOf(info: Docker.ContainerInspectInfo, endpoints: DockerEndpoints): Address | undefined {
  if (endpoints === 'container') {
    // Containers made before the label are published: their binding names the port.
    const port = Number(info.Config.Labels?.[LABEL_PORT] ?? Number.parseInt(Object.keys(info.HostConfig.PortBindings ?? {})[0] ?? '', 10));
    const networks = info.NetworkSettings.Networks ?? {};
    const ip = networks[info.HostConfig.NetworkMode ?? '']?.IPAddress || Object.values(networks).find((n) => n.IPAddress)?.IPAddress;
    return port > 0 && ip && info.State.Running ? { host: ip, port } : undefined;
  }
  const binding = Object.values(info.NetworkSettings.Ports ?? {}).find((b) => b?.[0]?.HostPort)?.[0];
  return binding ? { host: binding.HostIp && binding.HostIp !== '0.0.0.0' ? binding.HostIp : '127.0.0.1', port: Number(binding.HostPort) } : undefined;
}

/** The process state of an inspect answer. Pure. */
export function processStateOf(info: Docker.ContainerInspectInfo, endpoints: DockerEndpoints = 'published'): ProcessState {
  const address = addressOf(info, endpoints);
  const hc = (info.Config as { Healthcheck?: { Test?: string[]; Timeout?: number } }).Healthcheck;
  const health = (info.State as { Health?: { Status?: string } }).Health?.Status;
  return {
    running: info.State.Running,
    restarting: info.State.Restarting || (info.RestartCount > 0 && !info.State.Running),
    restarts: info.RestartCount,
    exitCode: info.State.Running ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    startedAt: info.State.StartedAt,
    ...(address ? { address } : {}),
    imageCheck: {
      command: healthCommand(hc?.Test),
      timeoutMs: hc?.Timeout ? hc.Timeout / 1e6 : DOCKER_CHECK_TIMEOUT_MS,
      ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { status: health } : {}),
    },
  };
}

export class DockerRuntime implements Runtime {
  readonly engine: DockerEngine;
  readonly images: DockerImages;
  private readonly events: DockerEvents;
  private readonly networks: DockerNetworks;
  /** Each process's host pid, as last inspected, and its CPU and memory readings. */
  private readonly usages: ContainerUsage;

  private endpoints: DockerEndpoints = 'published';

  /** An image with coreutils for short housekeeping containers: the stack image (set by start.ts from YB_STACK_IMAGE). */
  toolImage = 'yunbang/stack:latest';

  constructor(
    readonly instance: string,
    dockerHost = '',
    private readonly hardening: HardeningSettings = DEFAULT_HARDENING,
    onProblem: (err: unknown) => void = () => undefined,
  ) {
    this.engine = new DockerEngine(dockerHost);
    this.images = new DockerImages(this.engine, instance);
    this.events = new DockerEvents(this.engine, instance, onProblem);
    this.networks = new DockerNetworks(this.engine, instance);
    this.usages = new ContainerUsage(this.engine);
  }

  /**
   * Settles how routers reach processes: `auto` is `container` when the engine runs on this host and is not rootless
   * (a rootless engine's bridges live in its own namespace), else `published`. Returns the choice.
   */
  async chooseEndpoints(setting: 'auto' | DockerEndpoints): Promise<DockerEndpoints> {
    if (setting !== 'auto') return (this.endpoints = setting);
    const info = (await this.engine.call(() => this.engine.docker.info())) as { SecurityOptions?: string[] };
    const rootless = (info.SecurityOptions ?? []).some((o) => o.includes('name=rootless'));
    this.endpoints = this.engine.local && !rootless ? 'container' : 'published';
    return this.endpoints;
  }

  async ping(): Promise<void> {
    await this.engine.call(() => this.engine.docker.ping());
  }

  /** The engine's cgroup version and driver, and whether it runs on this host (for BuildKit's step limits). */
  async cgroups(): Promise<{ version: string; driver: string; local: boolean }> {
    const info = (await this.engine.call(() => this.engine.docker.info())) as { CgroupVersion?: string; CgroupDriver?: string };
    return { version: info.CgroupVersion ?? '1', driver: info.CgroupDriver ?? '', local: this.engine.local };
  }

  private hostConfig(kind: ContainerKind, memoryBytes?: number) {
    return hostHardening(kind, this.hardening, memoryBytes);
  }

  private labels(w: Workload): Record<string, string> {
    return { [LABEL_INSTANCE]: this.instance, ...workloadLabels(w) };
  }

  /** The team's bridge network: apps and services of a team share it; teams are isolated (docs/architecture.md §6). */
  ensureNetwork(team: string): Promise<string> {
    return this.networks.ensure(team);
  }

  removeNetworks(): Promise<void> {
    return this.networks.removeAll();
  }

  async startProcess(spec: ProcessSpec): Promise<{ id: string; address?: Address }> {
    const docker = this.engine.docker;
    const portKey = spec.port ? `${spec.port}/tcp` : undefined;
    const labels = { ...this.labels(spec.workload), ...(spec.port ? { [LABEL_PORT]: String(spec.port) } : {}) };
    for (const v of spec.volumes ?? []) await this.engine.call(() => docker.createVolume({ Name: v.name, Labels: labels }));
    const binds = [
      ...(spec.volumes ?? []).map((v) => `${v.name}:${v.path}`),
      ...(spec.hostDirs ?? []).map((d) => `${d.dir}:${d.path}${d.readOnly ? ':ro' : ''}`),
    ];
    const service = spec.workload.kind === 'service';
    const container = await this.engine.call(() =>
      docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.command,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        User: spec.user,
        Labels: labels,
        ExposedPorts: portKey ? { [portKey]: {} } : undefined,
        HostConfig: {
          PortBindings: portKey && this.endpoints === 'published' ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
          // Services outlive the control plane and survive an engine restart; app processes come back after a crash.
          RestartPolicy: spec.restart === 'always' ? { Name: 'unless-stopped' } : { Name: 'on-failure', MaximumRetryCount: 0 },
          ...this.hostConfig(service ? 'service' : 'process', spec.memoryBytes),
          ...(binds.length ? { Binds: binds } : {}),
          NanoCpus: spec.nanoCpus,
          NetworkMode: spec.network,
          Init: true,
        },
        NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } },
      }),
    );
    await this.engine.call(() => container.start());
    if (!portKey) return { id: container.id };
    const state = await this.processState(container.id);
    return { id: container.id, ...(state?.address ? { address: state.address } : {}) };
  }

  /** The inspect answer of a container this instance owns, or null. */
  private async owned(id: string): Promise<Docker.ContainerInspectInfo | null> {
    const info = await this.engine.tolerate(() => this.engine.docker.getContainer(id).inspect(), [404], null);
    return info && info.Config.Labels?.[LABEL_INSTANCE] === this.instance ? info : null;
  }

  async stopProcess(id: string, graceSeconds: number): Promise<void> {
    const info = await this.owned(id);
    if (!info) return;
    const c = this.engine.docker.getContainer(id);
    if (info.State.Running) await this.engine.tolerate(() => c.stop({ t: graceSeconds }), [304, 404], undefined);
    await this.engine.tolerate(() => c.remove({ force: true }), [404, 409], undefined);
    this.usages.forget(id);
  }

  async pauseProcess(id: string, graceSeconds: number): Promise<void> {
    if (await this.owned(id)) await this.engine.tolerate(() => this.engine.docker.getContainer(id).stop({ t: graceSeconds }), [304], undefined);
  }

  async resumeProcess(id: string): Promise<void> {
    if (await this.owned(id)) await this.engine.tolerate(() => this.engine.docker.getContainer(id).start(), [304], undefined);
  }

  async restartProcess(id: string, graceSeconds: number): Promise<void> {
    if (await this.owned(id)) await this.engine.call(() => this.engine.docker.getContainer(id).restart({ t: graceSeconds }));
  }

  async listProcesses(selector: Selector): Promise<ProcessInfo[]> {
    const list = await this.engine.call(() => this.engine.docker.listContainers({ all: true, filters: { label: labelFilters(this.instance, selector) } }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      workload: workloadOf(c.Labels),
      running: c.State === 'running',
      status: c.State,
      created: c.Created,
    }));
  }

  async processState(id: string): Promise<ProcessState | null> {
    const info = await this.engine.tolerate(() => this.engine.docker.getContainer(id).inspect(), [404], null);
    if (!info) {
      this.usages.forget(id);
      return null;
    }
    if (info.State.Pid) this.usages.seen(id, info.State.Pid);
    return processStateOf(info, this.endpoints);
  }

  /**
   * Read from the container's own network namespace (/proc/<pid>/net/tcp*): Docker's port proxy accepts on the host
   * port whether or not the process listens, and images need not have a shell.
   */
  async listening(id: string, port: number): Promise<boolean> {
    let pid = this.usages.pid(id);
    if (!pid) {
      await this.processState(id);
      pid = this.usages.pid(id);
    }
    if (!pid) return false;
    for (const file of ['tcp', 'tcp6']) {
      const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
      if (listensOn(text, port)) return true;
    }
    return false;
  }

  async exec(id: string, command: string[], opts: { timeoutMs: number; env?: Record<string, string>; user?: string }): Promise<ExecResult> {
    const c = this.engine.docker.getContainer(id);
    const ex = await this.engine.call(() =>
      c.exec({ Cmd: command, Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true, User: opts.user }),
    );
    const stream = await ex.start({ hijack: true, stdin: false });
    let raw = Buffer.alloc(0);
    stream.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      if (raw.length > 4 * MAX_EXEC_OUTPUT) raw = raw.subarray(raw.length - 4 * MAX_EXEC_OUTPUT); // may cut a frame: tolerated by demux
    });
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      new Promise<boolean>((resolve) => {
        stream.once('end', () => resolve(true));
        stream.once('close', () => resolve(true));
        stream.once('error', () => resolve(true));
      }),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), opts.timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ended) {
      stream.destroy();
      return { code: null, stdout: '', stderr: '' };
    }
    let info = await ex.inspect();
    for (let i = 0; i < 40 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the stream can end a moment before the engine records the exit
      info = await ex.inspect();
    }
    const out = demux(raw);
    return { code: info.ExitCode ?? null, stdout: out.stdout.slice(-MAX_EXEC_OUTPUT), stderr: out.stderr.slice(-MAX_EXEC_OUTPUT) };
  }

  async logsTail(id: string, lines: number): Promise<string[]> {
    const c = this.engine.docker.getContainer(id);
    const buf = (await this.engine.call(() => c.logs({ stdout: true, stderr: true, tail: lines, follow: false }))) as unknown as Buffer;
    return demux(buf)
      .both.split('\n')
      .filter((l) => l !== '');
  }

  async followLogs(id: string, sinceSeconds: number): Promise<Readable | null> {
    const container = this.engine.docker.getContainer(id);
    const raw = (await this.engine.tolerate(
      () => container.logs({ follow: true as const, stdout: true, stderr: true, timestamps: true, since: sinceSeconds }),
      [404],
      null,
    )) as unknown as Readable | null;
    if (!raw) return null;
    const merged = new PassThrough();
    container.modem.demuxStream(raw, merged, merged);
    raw.on('end', () => merged.end());
    raw.on('error', () => merged.end());
    merged.on('close', () => raw.destroy());
    return merged;
  }

  watch(onEvent: (e: RuntimeEvent) => void, onResync?: () => void): Promise<() => void> {
    return this.events.subscribe(onEvent, onResync);
  }

  usage(id: string): Promise<Usage | null> {
    return this.usages.usage(id);
  }

  private createTask(spec: TaskSpec, extra: Partial<Docker.ContainerCreateOptions> = {}, init = false): Promise<Docker.Container> {
    return this.engine.call(() =>
      this.engine.docker.createContainer({
        Image: spec.image,
        Cmd: spec.command,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        User: spec.user,
        Labels: this.labels(spec.workload ?? { kind: spec.hardening === 'build' ? 'build' : 'run' }),
        ...extra,
        HostConfig: {
          ...this.hostConfig(spec.hardening, spec.memoryBytes),
          Binds: [
            ...(spec.hostDirs ?? []).map((d) => `${d.dir}:${d.path}${d.readOnly ? ':ro' : ''}`),
            ...(spec.volumes ?? []).map((v) => `${v.name}:${v.path}`),
          ],
          NanoCpus: spec.nanoCpus,
          NetworkMode: spec.network,
          ...(init ? { Init: true } : {}),
          AutoRemove: false,
        },
      }),
    );
  }

  async runTask(spec: TaskSpec, onLine: (line: string) => void): Promise<number> {
    const container = await this.createTask(spec, { Tty: false });
    try {
      const attach = await container.attach({ stream: true, stdout: true, stderr: true });
      const merged = new PassThrough();
      container.modem.demuxStream(attach, merged, merged);
      attach.on('end', () => merged.end());
      const done = splitLines(merged, onLine); // bounded lines: a newline-free output cannot fill the control plane
      await container.start();
      let timer: NodeJS.Timeout | undefined;
      const timeout = spec.timeoutMs
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              container.kill().catch(() => undefined); // already gone: the wait below settles anyway
              reject(new RunTimeoutError(spec.timeoutMs!));
            }, spec.timeoutMs);
          })
        : null;
      const waited = (await (timeout ? Promise.race([container.wait(), timeout]) : container.wait())) as { StatusCode: number };
      if (timer) clearTimeout(timer);
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      return waited.StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => undefined); // removal of a finished task is best effort
    }
  }

  async attach(spec: TaskSpec & { workload: Workload; tty: boolean }): Promise<Attachment> {
    const container = await this.createTask(
      spec,
      {
        Tty: spec.tty,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
      },
      true,
    );
    return attachContainer(this.engine, container, spec.tty, this.hostConfig(spec.hardening, spec.memoryBytes).Memory ?? 0);
  }

  async removeVolume(name: string, service: string): Promise<void> {
    const volume = this.engine.docker.getVolume(name);
    const info = await this.engine.tolerate(() => volume.inspect(), [404], null);
    if (!info || info.Labels?.[LABEL_INSTANCE] !== this.instance || info.Labels?.[LABEL_SERVICE] !== service) return;
    await this.engine.call(() => volume.remove());
  }

  async createStorage(name: string): Promise<void> {
    const volume = storageVolume(this.instance, name);
    const info = await this.engine.tolerate(() => this.engine.docker.getVolume(volume).inspect(), [404], null);
    if (info) return;
    const labels = { [LABEL_INSTANCE]: this.instance, [LABEL_KIND]: 'storage' };
    await this.engine.call(() => this.engine.docker.createVolume({ Name: volume, Labels: labels }));
    try {
      await this.chownVolume(volume, labels);
    } catch (err) {
      await this.engine.tolerate(() => this.engine.docker.getVolume(volume).remove(), [404], undefined);
      throw err;
    }
  }

  /** Hands a new volume's top directory to APP_USER: a short container of the stack image, no network, then removed. */
  private async chownVolume(volume: string, labels: Record<string, string>): Promise<void> {
    const docker = this.engine.docker;
    const container = await this.engine.call(() =>
      docker.createContainer({
        Image: this.toolImage,
        Cmd: ['chown', `${APP_USER.uid}:${APP_USER.gid}`, '/volume'],
        User: '0:0',
        Labels: labels,
        NetworkDisabled: true,
        HostConfig: { ...this.hostConfig('one-off'), NetworkMode: 'none', Binds: [`${volume}:/volume`] },
      }),
    );
    try {
      await this.engine.call(() => container.start());
      const { StatusCode } = (await this.engine.call(() => container.wait())) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`setting the owner of volume ${volume} failed (exit ${StatusCode})`);
    } finally {
      await this.engine.tolerate(() => container.remove({ force: true }), [404], undefined);
    }
  }

  async removeStorage(name: string): Promise<void> {
    const volume = this.engine.docker.getVolume(storageVolume(this.instance, name));
    const info = await this.engine.tolerate(() => volume.inspect(), [404], null);
    if (!info || info.Labels?.[LABEL_INSTANCE] !== this.instance) return;
    await this.engine.tolerate(() => volume.remove(), [404], undefined);
  }

  async storageSizes(names: string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    // The engine's disk-usage report is the one place it sizes volumes (it walks them all: once per call).
    const df = (await this.engine.call(() => this.engine.docker.df())) as { Volumes?: Array<{ Name: string; UsageData?: { Size?: number } }> };
    const byVolume = new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
    const sizes = new Map<string, number>();
    for (const name of names) {
      const size = byVolume.get(storageVolume(this.instance, name)) ?? -1;
      if (size >= 0) sizes.set(name, size);
    }
    return sizes;
  }

  /** Stops the shared event stream (ybd stopping). */
  close(): void {
    this.events.close();
  }
}
