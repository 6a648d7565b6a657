// The runtime contract (docs/architecture.md §6): the neutral operations the platform needs to run processes,
// tasks and service containers, and to keep images. One folder per backend implements it (runtime/docker/ today);
// nothing outside that folder knows the backend's API, labels or object shapes. Types here are the platform's own.
import type { Readable } from 'node:stream';

/** What a workload is and whom it belongs to; the backend keeps it with the object (Docker labels, pod labels). */
export interface Workload {
  kind: 'process' | 'run' | 'service' | 'build';
  app?: string;
  team?: string;
  release?: number;
  /** Process type (web, worker, …). */
  type?: string;
  index?: number;
  /** Distinguishes two processes of the same release, type and index (a restart's replacement). */
  gen?: string;
  service?: string;
}

/** Selects workloads: every given field must match. */
export type Selector = Partial<Workload>;

/** Where a process answers: the router's endpoint records hold this as is. */
export interface Address {
  host: string;
  port: number;
}

/** A long-running process: an app's process or a backing service. */
export interface ProcessSpec {
  /** Unique among the backend's objects (it carries the platform instance). */
  name: string;
  workload: Workload;
  image: string;
  /** Replaces the image's command; undefined keeps it. */
  command: string[] | undefined;
  env: Record<string, string>;
  /** The port the process listens on that gets an address (web processes); omitted: unrouted. */
  port?: number;
  /**
   * Ports the team reaches it on by its aliases; omitted: `port`. Docker reaches any port of a container; backends
   * that route through a virtual address (Kubernetes Services) need them named.
   */
  listens?: number[];
  /**
   * The app's HTTP health check of `port` (app.json healthchecks): backends that probe readiness themselves
   * (Kubernetes) probe this path instead of a bare TCP connect. The platform runs the check at deploys either way.
   */
  readinessPath?: string;
  /** Memory limit; omitted: the backend's default for the kind (hardening). */
  memoryBytes?: number;
  nanoCpus?: number;
  /** The team network it joins, made by ensureNetwork, and the names other workloads there reach it by. */
  network: string;
  aliases: string[];
  user?: string;
  /** Named volumes mounted at `path` (services' data); created when missing, owned by this workload. */
  volumes?: Array<{ name: string; path: string }>;
  /** Host directories mounted at `path` (services' backups). */
  hostDirs?: HostDir[];
  /** on-failure: restarted after a crash (app processes); always: also after an engine restart (services). */
  restart: 'on-failure' | 'always';
}

/** A workload the backend knows, running or not. */
export interface ProcessInfo {
  id: string;
  name: string;
  workload: Workload;
  running: boolean;
  /** The backend's word for its state (running, exited, restarting, created…), shown as is. */
  status: string;
  /** Seconds since the epoch. */
  created: number;
}

/** The live state of one process. */
export interface ProcessState {
  running: boolean;
  /** A crash restart is under way. */
  restarting: boolean;
  restarts: number;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: string;
  /** Where the routed port answers now (it may change across restarts). */
  address?: Address;
  /** The image's own health check and the backend's verdict on it. */
  imageCheck?: { command: string[] | null; timeoutMs: number; status?: 'starting' | 'healthy' | 'unhealthy' };
}

/** A process started, ended, or was sent a stop signal. */
export interface RuntimeEvent {
  action: 'start' | 'die' | 'kill';
  id: string;
  workload: Workload;
  exitCode?: number;
}

/** A directory of the platform's host mounted into a task (only on backends that share the platform's disk). */
export interface HostDir {
  dir: string;
  path: string;
  readOnly?: boolean;
}

/** A command run to completion in a fresh container (release phase, deploy scripts, builds). */
export interface TaskSpec {
  hardening: 'one-off' | 'build';
  workload?: Workload;
  image: string;
  command: string[];
  env?: Record<string, string>;
  /** Host directories (a build's source, cache and output). */
  hostDirs?: HostDir[];
  /** Named volumes mounted at `path` (an app's storage); they must exist. */
  volumes?: Array<{ name: string; path: string }>;
  user?: string;
  memoryBytes?: number;
  nanoCpus?: number;
  network?: string;
  timeoutMs?: number;
}

/** An interactive one-off (`yb run`), created but not started, attached to the caller. */
export interface Attachment {
  /** Its memory limit (named when it is killed for it). */
  memoryLimitBytes: number;
  /** Output as it comes (one stream, stdout, when it has a TTY). */
  onOutput(handler: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  /** Flow control: while paused the process blocks on its writes instead of ybd buffering them. */
  pauseOutput(): void;
  resumeOutput(): void;
  /** Settles when no more output can come. */
  outputEnded: Promise<void>;
  /** Input to the process; false: wait for onceDrained before writing more. */
  write(data: Buffer): boolean;
  onceDrained(cb: () => void): void;
  /** Closes its stdin. */
  endInput(): void;
  start(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves to the exit code once it ended. */
  wait(): Promise<number>;
  kill(): Promise<void>;
  /** Whether it was killed for its memory limit (after wait). */
  oomKilled(): Promise<boolean>;
  /** Removes it (killing it first if it still runs). */
  remove(): Promise<void>;
}

/** CPU (in cores) and memory of a process, read once. */
export interface Usage {
  cpuCores: number;
  memoryBytes: number;
}

export interface ExecResult {
  /** null when the command did not end within its time (it is left to finish, its result ignored). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A process id as people see it and as stored log lines carry it: a 64-hex id (Docker's) in its 12-character short
 * form, any other backend's id (Kubernetes' `<namespace>/<object>`) whole, since a prefix of it names nothing. Pure.
 */
export function shortProcessId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

/** A process gone past its limit of time; it was killed and removed. */
export class RunTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'RunTimeoutError';
  }
}

/** The backend cannot be reached at all (a message that says where and how to start it). */
export class RuntimeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeUnavailableError';
  }
}

/** What an image says about itself. */
export interface ImageInfo {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** Built or loaded by this platform instance (it carries the instance's mark; a tag proves more, see build-service). */
  ours: boolean;
  /** First EXPOSEd TCP port. */
  exposedPort?: number;
  /** The image's HEALTHCHECK command (null: NONE or absent). */
  healthCommand: string[] | null;
  onBuild: string[];
}

/** How an image is built (ImageStore.build). */
export interface BuildOptions {
  tag: string;
  labels: Record<string, string>;
  buildargs?: Record<string, string>;
  dockerfile?: string;
  /** The older builder, which takes the memory and CPU limits itself. */
  classic?: boolean;
  /** Used by every platform instance on the backend: not marked as this instance's. */
  shared?: boolean;
  timeoutMs?: number;
  memoryBytes?: number;
  cpus?: number;
}

/** Images where the backend runs them: the five places that handled images before go through here. */
export interface ImageStore {
  /** null when the backend does not have it. Throws BAD_REQUEST for something that is not a reference. */
  describe(ref: string): Promise<ImageInfo | null>;
  exists(ref: string): Promise<boolean>;
  /** The image id; rejects when absent. */
  id(ref: string): Promise<string>;
  tag(ref: string, target: string): Promise<void>;
  /** Removes a tag (the image goes with its last one); absent or in use: left as is. */
  remove(ref: string): Promise<void>;
  /** Loads an image archive; resolves to the references loaded. */
  load(archive: Readable): Promise<string[]>;
  /**
   * Builds from a tar context (`context` makes it, again for a second attempt) and resolves to the image id. The
   * image is marked as this instance's (`ours`) unless `shared` (images every platform on the backend uses, such as
   * the service images); `labels` add to that. `classic`: the older builder, which takes the memory and CPU limits
   * itself.
   */
  build(context: () => Readable, opts: BuildOptions, onLine: (line: string) => void): Promise<string>;
  /** Prunes the build cache down to `keepBytes` (0: all of it no build is using). */
  pruneBuildCache(keepBytes: number): Promise<{ reclaimedBytes: number; records: number }>;
  /** Pushes `ref` (already tagged for its registry); resolves to the manifest digest. */
  push(ref: string, onProgress: (line: string) => void): Promise<string>;
  /** Pulls `ref` (e.g. repo@sha256:…) from its registry. */
  pull(ref: string, onProgress: (line: string) => void): Promise<void>;
}

/** The runtime contract: one backend runs every workload of a platform instance. */
export interface Runtime {
  /** The platform instance: every object the backend makes carries it, and it touches no other. */
  readonly instance: string;
  readonly images: ImageStore;
  ping(): Promise<void>;
  /** The team's network (created when missing): its apps and services reach each other by name; teams are isolated. */
  ensureNetwork(team: string): Promise<string>;
  /** Removes the networks of this instance no workload uses any more (tests, uninstall). */
  removeNetworks(): Promise<void>;
  /** Creates and starts a process; its address once known (the port may not listen yet). */
  startProcess(spec: ProcessSpec): Promise<{ id: string; address?: Address }>;
  /** SIGTERM, SIGKILL after `graceSeconds`, then removal (and nothing when the id is not this instance's). */
  stopProcess(id: string, graceSeconds: number): Promise<void>;
  /** Stops without removing (services), starts again, restarts. */
  pauseProcess(id: string, graceSeconds: number): Promise<void>;
  resumeProcess(id: string): Promise<void>;
  restartProcess(id: string, graceSeconds: number): Promise<void>;
  listProcesses(selector: Selector): Promise<ProcessInfo[]>;
  /** null when it does not exist. */
  processState(id: string): Promise<ProcessState | null>;
  /** Readiness: whether the process itself listens on `port` (not a proxy in front of it). */
  listening(id: string, port: number): Promise<boolean>;
  /** Runs a command in a running process; output capped to the last 64 KiB of each stream. */
  exec(id: string, command: string[], opts: { timeoutMs: number; env?: Record<string, string>; user?: string }): Promise<ExecResult>;
  /** The last `lines` lines a process wrote (stdout and stderr together). */
  logsTail(id: string, lines: number): Promise<string[]>;
  /**
   * Follows a process's output from `sinceSeconds` (0: from its start): lines of "RFC 3339 time, space, text", ending
   * when the process ends; null when it does not exist.
   */
  followLogs(id: string, sinceSeconds: number): Promise<Readable | null>;
  /**
   * One stream of process events for every subscriber; resolves to an unsubscribe function. `onResync` is called when
   * the stream resumes after a gap whose events are lost (the Docker engine restarted): re-read what matters.
   */
  watch(onEvent: (e: RuntimeEvent) => void, onResync?: () => void): Promise<() => void>;
  usage(id: string): Promise<Usage | null>;
  /** Runs a task to completion, streaming its output by line; resolves to its exit code; RunTimeoutError past its time. */
  runTask(spec: TaskSpec, onLine: (line: string) => void): Promise<number>;
  /** Creates a one-off attached to the caller (`yb run`), hardened like every one-off. */
  attach(spec: TaskSpec & { workload: Workload; tty: boolean }): Promise<Attachment>;
  /** Removes a named volume this instance made for `service` (its data); absent or another's: left. */
  removeVolume(name: string, service: string): Promise<void>;
  /**
   * Makes the volume of app storage `name` (storageVolume), labelled as this instance's, its top directory owned by
   * APP_USER; one that exists is kept as it is.
   */
  createStorage(name: string): Promise<void>;
  /** Removes the volume of app storage `name` and its data. */
  removeStorage(name: string): Promise<void>;
  /** Bytes the volumes of app storage `names` hold, in one look at the backend; a name it cannot size is left out. */
  storageSizes(names: string[]): Promise<Map<string, number>>;
}

/** The runtime's name of app storage `name` (an app's volume, src/storage/): this instance's only. */
/**
 * The user buildpack apps run as (the run image's USER). A new storage volume's top directory is theirs: mounted at a
 * path the image does not have, it would otherwise be root's and the app could not write to it (Dokku's
 * storage:ensure-directory does the same by hand).
 */
export const APP_USER = { uid: 1000, gid: 1000 } as const;

export function storageVolume(instance: string, name: string): string {
  return `${instance}-vol-${name}`;
}
