// The `docker` runtime backend: a thin, typed layer over dockerode for the few operations the platform
// needs. Only touches containers and images that carry our `yunbang.instance` label (or that it creates).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { BuildkitProgress } from './buildkit-progress.js';
import Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { DEFAULT_HARDENING, hostHardening, type ContainerKind, type HardeningSettings, type HostHardening } from './hardening.js';
import { LineSplitter, splitLines } from './line-splitter.js';

export const LABEL_INSTANCE = 'yunbang.instance';
export const LABEL_APP = 'yunbang.app';
export const LABEL_RELEASE = 'yunbang.release';
export const LABEL_PROCESS = 'yunbang.process';
export const LABEL_INDEX = 'yunbang.index';
export const LABEL_KIND = 'yunbang.kind';

/** The engine's answer when a build cache record outlived its layer (see buildImage). */
const LOST_LAYER = /\blayer does not exist\b/;

export class DockerUnavailableError extends Error {
  constructor(where: string, options?: { cause?: unknown }) {
    super(`the Docker engine is not reachable at ${where}; start it (npm start does, or run "dockerd &")`, options);
    this.name = 'DockerUnavailableError';
  }
}

/** A container run to completion outlived its time limit; it was killed and removed. */
export class RunTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'RunTimeoutError';
  }
}

export interface AppContainerSpec {
  name: string;
  image: string;
  cmd: string[] | undefined;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Container port to publish on 127.0.0.1 (random host port); omitted for unrouted processes. */
  port?: number;
  memoryBytes?: number;
  nanoCpus?: number;
  network?: string;
  /** DNS names of the container on `network` (other containers of the network resolve them). */
  aliases?: string[];
  user?: string;
}

export interface RunningContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
  created: number;
}

function isConnError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET';
}

export class DockerRuntime {
  readonly docker: Docker;
  private readonly where: string;
  /** Network creations in flight, by name (see ensureNetwork). */
  private readonly networkCreations = new Map<string, Promise<void>>();

  constructor(
    readonly instance: string,
    dockerHost = '',
    readonly hardening: HardeningSettings = DEFAULT_HARDENING,
  ) {
    if (dockerHost) {
      const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
      this.docker = dockerHost.startsWith('unix://') ? new Docker({ socketPath: dockerHost.slice(7) }) : new Docker({ host: u.hostname, port: Number(u.port) });
      this.where = dockerHost;
    } else {
      this.docker = new Docker({ socketPath: '/var/run/docker.sock' });
      this.where = '/var/run/docker.sock';
    }
  }

  /** Runs a Docker call, turning "no engine there" into one clear DockerUnavailableError. */
  async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (isConnError(err)) throw new DockerUnavailableError(this.where, { cause: err });
      throw err;
    }
  }

  /** The pids, privilege, capability and memory fields of a container of `kind` (hardening.ts); every create uses it. */
  hostHardening(kind: ContainerKind, memoryBytes?: number): HostHardening {
    return hostHardening(kind, this.hardening, memoryBytes);
  }

  async ping(): Promise<void> {
    await this.call(() => this.docker.ping());
  }

  /** Prunes the engine's build cache, least recently used first, down to `keepBytes`. */
  async pruneBuildCache(keepBytes: number): Promise<{ reclaimedBytes: number; records: number }> {
    // keepBytes 0: all of it (every kind of record that no build is using).
    const options = keepBytes > 0 ? { 'keep-storage': keepBytes } : { all: true };
    const dial = () =>
      new Promise<{ SpaceReclaimed?: number; CachesDeleted?: string[] | null }>((resolve, reject) =>
        this.docker.modem.dial({ path: '/build/prune?', method: 'POST', options, statusCodes: { 200: true, 500: 'server error' } }, (err, data) =>
          err ? reject(err) : resolve(data as { SpaceReclaimed?: number; CachesDeleted?: string[] | null }),
        ),
      );
    const res = await this.call(dial);
    return { reclaimedBytes: res.SpaceReclaimed ?? 0, records: res.CachesDeleted?.length ?? 0 };
  }

  /** The engine's cgroup version and driver; `local`: it is reached through a socket on this host. */
  async cgroups(): Promise<{ version: string; driver: string; local: boolean }> {
    const info = (await this.call(() => this.docker.info())) as { CgroupVersion?: string; CgroupDriver?: string };
    return { version: info.CgroupVersion ?? '1', driver: info.CgroupDriver ?? '', local: !this.where.includes('://') || this.where.startsWith('unix://') };
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.call(() => this.docker.getImage(ref).inspect());
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  async imageId(ref: string): Promise<string> {
    const info = await this.call(() => this.docker.getImage(ref).inspect());
    return info.Id;
  }

  /**
   * Builds an image from a tar build context with the engine's BuildKit builder (API `version=2`: no intermediate
   * container per instruction, so metadata steps cost nothing and stages build in parallel); its progress arrives as
   * BuildKit traces, shown as lines (buildkit-progress.ts). `classic`: the engine's older builder (kept for the
   * service images, whose recipes install Debian packages and are built once per recipe). `context` makes the tar
   * build context (called again for a second attempt). Resolves to the image id; rejects with the engine's error
   * message.
   *
   * The engine (20.10, BuildKit over its graph driver) can keep a build cache record whose layer it has deleted;
   * every build that reuses that step then fails at "exporting to image" with "layer does not exist", on and on,
   * until the build cache is pruned. When a build fails so, the cache is pruned once and the build runs again.
   */
  async buildImage(
    context: () => Readable,
    opts: {
      tag: string;
      labels: Record<string, string>;
      buildargs?: Record<string, string>;
      dockerfile?: string;
      classic?: boolean;
      timeoutMs?: number;
      memoryBytes?: number;
      cpus?: number;
    },
    onLine: (line: string) => void,
  ): Promise<string> {
    const query = new URLSearchParams({ t: opts.tag, labels: JSON.stringify(opts.labels), ...(opts.classic ? { rm: '1', forcerm: '1' } : { version: '2' }) });
    if (opts.buildargs) query.set('buildargs', JSON.stringify(opts.buildargs));
    if (opts.dockerfile) query.set('dockerfile', opts.dockerfile);
    // The classic builder runs each RUN step in a container with these limits; BuildKit ignores them.
    if (opts.classic && opts.memoryBytes) query.set('memory', String(opts.memoryBytes));
    if (opts.classic && opts.cpus) {
      query.set('cpuperiod', '100000');
      query.set('cpuquota', String(Math.round(opts.cpus * 100000)));
    }
    try {
      return await this.build(query, context(), onLine, opts.tag, opts.timeoutMs);
    } catch (err) {
      if (opts.classic || !LOST_LAYER.test((err as Error).message)) throw err;
      onLine("The engine's build cache names a layer the engine no longer has (a Docker engine fault); clearing the build cache and building again");
      await this.pruneBuildCache(0);
      return this.build(query, context(), onLine, opts.tag, opts.timeoutMs);
    }
  }

  /**
   * POST /build with `query` and `body` as the context; follows its output to the end. Past `timeoutMs` the request
   * is cut, which makes the engine cancel the build.
   */
  private async build(query: URLSearchParams, body: Readable, onLine: (line: string) => void, tag: string, timeoutMs?: number): Promise<string> {
    const modem = this.docker.modem as unknown as { socketPath?: string; host?: string; port?: number };
    let cut: NodeJS.Timeout | undefined;
    let timedOut: Error | undefined;
    try {
      const id = await this.followBuild(
        await this.call(
          () =>
            new Promise<IncomingMessage>((resolve, reject) => {
              const target = modem.socketPath ? { socketPath: modem.socketPath } : { host: modem.host, port: modem.port };
              const req = httpRequest({ ...target, path: `/build?${query}`, method: 'POST', headers: { 'content-type': 'application/x-tar' } }, resolve);
              req.on('error', reject);
              body.on('error', (err) => req.destroy(err));
              body.pipe(req);
              if (timeoutMs)
                cut = setTimeout(
                  () => req.destroy((timedOut = new Error(`the build took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`))),
                  timeoutMs,
                );
            }),
        ),
        onLine,
        tag,
      );
      if (timedOut) throw timedOut;
      return id;
    } catch (err) {
      throw timedOut ?? err;
    } finally {
      clearTimeout(cut);
    }
  }

  private async followBuild(res: IncomingMessage, onLine: (line: string) => void, tag: string): Promise<string> {
    if (res.statusCode !== 200) {
      let text = '';
      for await (const chunk of res) text += chunk;
      let message = text.trim() || `HTTP ${res.statusCode}`;
      try {
        message = (JSON.parse(text) as { message?: string }).message?.trim() || message;
      } catch {
        // not JSON: the text itself
      }
      throw new Error(message);
    }
    const progress = new BuildkitProgress(onLine);
    let built: string | undefined;
    let failed: string | undefined;
    // The engine's JSON events carry build output; the splitter's bound (a few MiB: BuildKit traces are large but
    // chunked) keeps a newline-free stream from growing without limit, and a cut event is skipped.
    const splitter = new LineSplitter(
      (line) => {
        if (!line.trim()) return;
        let event: { id?: string; aux?: unknown; stream?: string; status?: string; error?: string };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return; // an event cut at the bound: not JSON any more
        }
        if (event.error) failed = event.error.trim();
        else if (event.id === 'moby.buildkit.trace' && typeof event.aux === 'string') progress.trace(event.aux);
        else if (event.id === 'moby.image.id') built = (event.aux as { ID?: string } | undefined)?.ID;
        else for (const l of (event.stream ?? (event.status ? `${event.status}\n` : '')).split('\n')) if (l.trim() !== '') onLine(l.replace(/\r/g, ''));
      },
      8 * 1024 * 1024,
    );
    for await (const chunk of res) splitter.push(chunk as Buffer);
    splitter.end();
    if (failed) throw new Error(failed);
    return built ?? (await this.imageId(tag));
  }

  /**
   * Runs a container to completion (builds, release phase, one-off tasks), streaming its combined output
   * line by line; resolves to the exit code. Past `timeoutMs` it is killed and a RunTimeoutError thrown. The
   * container is removed afterwards either way.
   */
  async runToCompletion(
    opts: {
      kind: 'one-off' | 'build';
      image: string;
      cmd: string[];
      env?: Record<string, string>;
      binds?: string[];
      user?: string;
      labels: Record<string, string>;
      memoryBytes?: number;
      nanoCpus?: number;
      network?: string;
      timeoutMs?: number;
    },
    onLine: (line: string) => void,
  ): Promise<number> {
    const container = await this.call(() =>
      this.docker.createContainer({
        Image: opts.image,
        Cmd: opts.cmd,
        Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
        User: opts.user,
        Labels: { [LABEL_INSTANCE]: this.instance, ...opts.labels },
        HostConfig: {
          ...this.hostHardening(opts.kind, opts.memoryBytes),
          Binds: opts.binds,
          NanoCpus: opts.nanoCpus,
          NetworkMode: opts.network,
          AutoRemove: false,
        },
        Tty: false,
      }),
    );
    try {
      const attach = await container.attach({ stream: true, stdout: true, stderr: true });
      const merged = new PassThrough();
      container.modem.demuxStream(attach, merged, merged);
      attach.on('end', () => merged.end());
      const done = splitLines(merged, onLine); // bounded lines: a newline-free output cannot fill the control plane
      await container.start();
      let timer: NodeJS.Timeout | undefined;
      const timeout = opts.timeoutMs
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              container.kill().catch(() => undefined); // already gone: the wait below settles anyway
              reject(new RunTimeoutError(opts.timeoutMs!));
            }, opts.timeoutMs);
          })
        : null;
      const waited = (await (timeout ? Promise.race([container.wait(), timeout]) : container.wait())) as { StatusCode: number };
      if (timer) clearTimeout(timer);
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      return waited.StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => undefined); // removal of a finished helper container is best effort
    }
  }

  /** Creates and starts an app container; resolves to its id and the published host port (if any). */
  async startApp(spec: AppContainerSpec): Promise<{ id: string; hostPort?: number }> {
    const portKey = spec.port ? `${spec.port}/tcp` : undefined;
    const container = await this.call(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        User: spec.user,
        Labels: { [LABEL_INSTANCE]: this.instance, ...spec.labels },
        ExposedPorts: portKey ? { [portKey]: {} } : undefined,
        HostConfig: {
          PortBindings: portKey ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 },
          ...this.hostHardening('process', spec.memoryBytes),
          NanoCpus: spec.nanoCpus,
          NetworkMode: spec.network,
          Init: true,
        },
        NetworkingConfig: spec.network ? { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } } : undefined,
      }),
    );
    await this.call(() => container.start());
    if (!portKey) return { id: container.id };
    const info = await container.inspect();
    const binding = info.NetworkSettings.Ports[portKey]?.[0];
    return { id: container.id, hostPort: binding ? Number(binding.HostPort) : undefined };
  }

  /**
   * Creates a bridge network we own if it does not exist yet (one per team: tenants cannot reach each other).
   * Docker does not keep network names unique (two creates racing both succeed, and a container started "on" that
   * name then fails as ambiguous), so creations of one name are serialised here, and duplicates found (from a race
   * before this was so) are reduced to the oldest.
   */
  ensureNetwork(name: string, labels: Record<string, string> = {}): Promise<void> {
    const pending = this.networkCreations.get(name);
    if (pending) return pending;
    const created = this.createNetworkOnce(name, labels).finally(() => this.networkCreations.delete(name));
    this.networkCreations.set(name, created);
    return created;
  }

  private async createNetworkOnce(name: string, labels: Record<string, string>): Promise<void> {
    const same = (await this.call(() => this.docker.listNetworks({ filters: { name: [name] } }))).filter((n) => n.Name === name);
    if (same.length > 1) {
      same.sort((a, b) => a.Created.localeCompare(b.Created));
      for (const extra of same.slice(1)) {
        const info = await this.docker
          .getNetwork(extra.Id)
          .inspect()
          .catch(() => undefined);
        if (info && Object.keys(info.Containers ?? {}).length === 0)
          await this.docker
            .getNetwork(extra.Id)
            .remove()
            .catch(() => undefined);
      }
    }
    if (same.length > 0) return;
    await this.call(() =>
      this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL_INSTANCE]: this.instance, ...labels } }),
    ).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 409) throw err;
    });
  }

  /** Removes the networks this instance created (tests, uninstall); networks still in use stay. */
  async removeOwnedNetworks(): Promise<void> {
    const nets = await this.call(() => this.docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${this.instance}`] } }));
    for (const n of nets)
      await this.docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }

  async inspect(id: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.call(() => this.docker.getContainer(id).inspect());
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw err;
    }
  }

  /** Containers of this platform instance matching all given labels (running or not). */
  async list(labels: Record<string, string> = {}): Promise<RunningContainer[]> {
    const filters = { label: [`${LABEL_INSTANCE}=${this.instance}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)] };
    const list = await this.call(() => this.docker.listContainers({ all: true, filters }));
    return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels, state: c.State, created: c.Created }));
  }

  /** SIGTERM, then SIGKILL after `graceSeconds`, then removal; only for containers we own. */
  async stopAndRemove(id: string, graceSeconds: number): Promise<void> {
    const info = await this.inspect(id);
    if (!info || info.Config.Labels?.[LABEL_INSTANCE] !== this.instance) return;
    const c = this.docker.getContainer(id);
    if (info.State.Running) {
      await this.call(() => c.stop({ t: graceSeconds })).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
      });
    }
    await this.call(() => c.remove({ force: true })).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
  }

  /** The last `tail` lines a container wrote (stdout and stderr together). */
  async logsTail(id: string, tail = 20): Promise<string[]> {
    const c = this.docker.getContainer(id);
    const buf = (await this.call(() => c.logs({ stdout: true, stderr: true, tail, follow: false }))) as unknown as Buffer;
    return demux(buf)
      .split('\n')
      .filter((l) => l !== '');
  }

  /**
   * Runs a command inside a running container as its user; resolves to the exit code (null when it did not end
   * within `timeoutMs`: it is left to finish, its result ignored) and the last 2 KiB of its output.
   */
  async exec(id: string, cmd: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
    const c = this.docker.getContainer(id);
    const ex = await this.call(() => c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }));
    const stream = await ex.start({ hijack: true, stdin: false });
    let raw = Buffer.alloc(0);
    stream.on('data', (d: Buffer) => {
      if (raw.length < 65536) raw = Buffer.concat([raw, d]);
    });
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      new Promise<boolean>((resolve) => {
        stream.once('end', () => resolve(true));
        stream.once('close', () => resolve(true));
        stream.once('error', () => resolve(true));
      }),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!ended) {
      stream.destroy();
      return { code: null, output: '' };
    }
    return { code: (await ex.inspect()).ExitCode ?? null, output: demux(raw).slice(-2048) };
  }

  async removeImage(ref: string): Promise<void> {
    await this.call(() => this.docker.getImage(ref).remove({ force: false })).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
  }
}

/** The text of a multiplexed Docker stream (8-byte frame headers: stream, 0, 0, 0, length); a cut last frame is kept as far as it goes. */
function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}
