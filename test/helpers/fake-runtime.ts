// A runtime backend in memory (src/runtime/runtime.ts), for unit tests of the scheduler's, the monitor's and the
// deployer's decisions: processes start, listen after a chosen number of probes, crash, restart; every operation is
// logged in order. Never the proof that a capability works: the integration suite runs the Docker backend.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  Address,
  Attachment,
  ExecResult,
  ImageInfo,
  ImageStore,
  ProcessInfo,
  ProcessSpec,
  ProcessState,
  Runtime,
  RuntimeEvent,
  Selector,
  TaskSpec,
  Usage,
  Workload,
} from '../../src/runtime/runtime.js';

export interface FakeProcess {
  id: string;
  spec: ProcessSpec;
  running: boolean;
  restarts: number;
  exitCode: number | null;
  address?: Address;
  /** listening() answers false this many more times. */
  probesUntilListening: number;
}

export interface FakeBehaviour {
  /** Probes before a started process listens (default 2); Infinity: never. */
  probesUntilListening(spec: ProcessSpec): number;
  /** Whether the process exits right after it starts (exit code 1). */
  crashes(spec: ProcessSpec): boolean;
  /** The exit code of a task. */
  taskExit(spec: TaskSpec): number;
}

/** The id the fake store gives the image tagged `ref`. */
export const fakeImageId = (ref: string) => `sha256:${createHash('sha256').update(ref).digest('hex')}`;

const matches = (w: Workload, s: Selector) => Object.entries(s).every(([k, v]) => v === undefined || w[k as keyof Workload] === v);

class FakeImages implements ImageStore {
  readonly images = new Map<string, ImageInfo>();
  constructor(private readonly log: string[]) {}
  add(ref: string, info: Partial<ImageInfo> = {}): ImageInfo {
    const full: ImageInfo = { id: fakeImageId(ref), tags: [ref], labels: {}, ours: true, healthCommand: null, onBuild: [], ...info };
    this.images.set(ref, full);
    this.images.set(full.id, full);
    return full;
  }
  async describe(ref: string) {
    return this.images.get(ref) ?? null;
  }
  async exists(ref: string) {
    return this.images.has(ref);
  }
  async id(ref: string) {
    const i = this.images.get(ref);
    if (!i) throw new Error(`no image ${ref}`);
    return i.id;
  }
  async tag(ref: string, target: string) {
    const i = this.images.get(ref);
    if (i) this.images.set(target, i);
  }
  async remove(ref: string) {
    this.log.push(`image remove ${ref}`);
    const i = this.images.get(ref);
    this.images.delete(ref);
    if (i && ![...this.images.values()].includes(i)) this.images.delete(i.id);
  }
  async load(): Promise<string[]> {
    return [];
  }
  async build(): Promise<string> {
    throw new Error('the fake runtime does not build');
  }
  async pruneBuildCache() {
    return { reclaimedBytes: 0, records: 0 };
  }
  async push(): Promise<string> {
    return 'sha256:pushed';
  }
  async pull() {}
}

export class FakeRuntime implements Runtime {
  readonly instance = 'fake';
  /** Every operation in order: `start web.1 v2`, `stop web.1 v1`, `task …`. */
  readonly log: string[] = [];
  readonly processes = new Map<string, FakeProcess>();
  readonly images: FakeImages;
  private readonly subscribers = new Set<(e: RuntimeEvent) => void>();
  private readonly resyncs = new Set<() => void>();
  private next = 1;
  private nextPort = 40000;

  constructor(readonly behaviour: Partial<FakeBehaviour> = {}) {
    this.images = new FakeImages(this.log);
  }

  private label(spec: ProcessSpec) {
    const w = spec.workload;
    return w.kind === 'service' ? `service ${w.service}` : `${w.type}.${w.index} v${w.release}`;
  }

  emit(e: RuntimeEvent): void {
    for (const s of this.subscribers) s(e);
  }

  /** Crashes a process (it exits; the backend would restart it after `restart()`). */
  crash(id: string, exitCode = 1): void {
    const p = this.processes.get(id)!;
    p.running = false;
    p.exitCode = exitCode;
    this.emit({ action: 'die', id, workload: p.spec.workload, exitCode });
  }

  /** The backend's restart policy brings a crashed process back at a new address. */
  restart(id: string): void {
    const p = this.processes.get(id)!;
    p.running = true;
    p.restarts++;
    p.exitCode = null;
    if (p.address) p.address = { host: '127.0.0.1', port: this.nextPort++ };
    p.probesUntilListening = this.behaviour.probesUntilListening?.(p.spec) ?? 2;
    this.emit({ action: 'start', id, workload: p.spec.workload });
  }

  /** Processes of `selector` that run, by label (e.g. `web.1 v2`). */
  running(selector: Selector = {}): string[] {
    return [...this.processes.values()]
      .filter((p) => p.running && matches(p.spec.workload, selector))
      .map((p) => this.label(p.spec))
      .sort();
  }

  async ping() {}
  async ensureNetwork(team: string) {
    return `net-${team}`;
  }
  async removeNetworks() {}

  async startProcess(spec: ProcessSpec) {
    const id = `p${this.next++}`;
    const crashes = this.behaviour.crashes?.(spec) ?? false;
    const address = spec.port ? { host: '127.0.0.1', port: this.nextPort++ } : undefined;
    this.processes.set(id, {
      id,
      spec,
      running: !crashes,
      restarts: 0,
      exitCode: crashes ? 1 : null,
      ...(address ? { address } : {}),
      probesUntilListening: this.behaviour.probesUntilListening?.(spec) ?? 2,
    });
    this.log.push(`start ${this.label(spec)}`);
    this.emit({ action: 'start', id, workload: spec.workload });
    return { id, ...(address ? { address } : {}) };
  }

  async stopProcess(id: string) {
    const p = this.processes.get(id);
    if (!p) return;
    this.log.push(`stop ${this.label(p.spec)}`);
    this.processes.delete(id);
    this.emit({ action: 'die', id, workload: p.spec.workload, exitCode: 0 });
  }
  async pauseProcess(id: string) {
    const p = this.processes.get(id);
    if (p) p.running = false;
  }
  async resumeProcess(id: string) {
    const p = this.processes.get(id);
    if (p) p.running = true;
  }
  async restartProcess(id: string) {
    this.restart(id);
  }

  async listProcesses(selector: Selector): Promise<ProcessInfo[]> {
    return [...this.processes.values()]
      .filter((p) => matches(p.spec.workload, selector))
      .map((p) => ({ id: p.id, name: p.spec.name, workload: p.spec.workload, running: p.running, status: p.running ? 'running' : 'exited', created: 0 }));
  }

  async processState(id: string): Promise<ProcessState | null> {
    const p = this.processes.get(id);
    if (!p) return null;
    return {
      running: p.running,
      restarting: false,
      restarts: p.restarts,
      exitCode: p.exitCode,
      oomKilled: false,
      startedAt: '2026-12-05T00:00:00Z',
      ...(p.address ? { address: p.address } : {}),
    };
  }

  async listening(id: string): Promise<boolean> {
    const p = this.processes.get(id);
    if (!p?.running) return false;
    if (p.probesUntilListening > 0) {
      p.probesUntilListening--;
      return false;
    }
    return true;
  }

  async exec(): Promise<ExecResult> {
    return { code: 0, stdout: '', stderr: '' };
  }
  async logsTail(id: string): Promise<string[]> {
    return this.processes.has(id) ? ['last line'] : [];
  }
  async followLogs(): Promise<Readable | null> {
    return Readable.from([]);
  }
  async watch(onEvent: (e: RuntimeEvent) => void, onResync?: () => void) {
    this.subscribers.add(onEvent);
    if (onResync) this.resyncs.add(onResync);
    return () => {
      this.subscribers.delete(onEvent);
      if (onResync) this.resyncs.delete(onResync);
    };
  }

  /** The event stream resumed after a gap whose events were lost (the engine restarted). */
  resync(): void {
    for (const r of this.resyncs) r();
  }
  async usage(): Promise<Usage | null> {
    return { cpuCores: 0, memoryBytes: 0 };
  }
  async runTask(spec: TaskSpec, onLine: (line: string) => void): Promise<number> {
    this.log.push(`task ${spec.command.join(' ')}`);
    onLine(`ran ${spec.command.at(-1)}`);
    return this.behaviour.taskExit?.(spec) ?? 0;
  }
  async attach(): Promise<Attachment> {
    throw new Error('the fake runtime does not attach');
  }
  async removeVolume() {}
  async createStorage() {}
  async removeStorage() {}
  async storageSizes() {
    return new Map<string, number>();
  }
}
