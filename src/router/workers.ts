// Proxy workers as node:cluster children: the primary forks them, hands each every snapshot and learns which
// revision each applied; a worker that dies is replaced and given the current snapshot. Each worker accepts its own
// connections on SO_REUSEPORT sockets (claimPort), not through the primary.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Addr } from '../config/load.js';
import type { RouterOptions } from './options.js';
import type { MetricsSnapshot } from './metrics.js';
import type { SnapshotDelta } from './table-input.js';

// A worker gets the whole current snapshot as its first delta (over IPC: environment strings are limited to
// 128 KiB, far less than 10,000 routes), then only changes.
export type ToWorker =
  | { t: 'snapshot'; revision: number; delta: SnapshotDelta }
  | { t: 'metrics'; id: number }
  | { t: 'shutdown'; graceMs: number }
  /** The TLS session ticket key (base64), sent before the first snapshot and on each rotation (tls-tickets.ts). */
  | { t: 'ticket-key'; key: string };
export type FromWorker = { t: 'hello' } | { t: 'listening' } | { t: 'applied'; revision: number } | { t: 'metrics'; id: number; snapshot: MetricsSnapshot };

export const WORKER_OPTIONS_ENV = 'YB_ROUTER_WORKER_OPTIONS';

/**
 * The port of `addr` for the workers' SO_REUSEPORT sockets (docs/architecture.md §2): bound once here without the
 * option and released, so a port anything else holds — another router's reuseport sockets included — fails the start
 * with EADDRINUSE instead of being shared, and port 0 becomes one port for every worker.
 */
export async function claimPort(addr: Addr): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port: addr.port, host: addr.host, exclusive: true }, resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Slot {
  worker: Worker;
  applied: number;
  /** Has been sent a whole snapshot; only then do deltas make sense to it. */
  synced: boolean;
}

export class WorkerSet {
  private readonly slots = new Set<Slot>();
  private latest: { revision: number; kvs: ReadonlyMap<string, string> };
  private stopping = false;
  private nextMetricsId = 1;
  /** Port the workers share (claimed by start(); matters when asked for port 0). */
  port = 0;
  /** Port of the workers' HTTPS listener (0 without one). */
  tlsPort = 0;
  private readonly pendingMetrics = new Map<number, (s: MetricsSnapshot) => void>();
  /** The options each worker gets: the claimed ports, and SO_REUSEPORT. */
  private workerOpts: RouterOptions;

  constructor(
    private readonly opts: RouterOptions,
    private readonly log: Logger,
    initial: { revision: number; kvs: ReadonlyMap<string, string> },
    /** Called whenever the lowest revision applied by all workers may have advanced. */
    private readonly onApplied: (revision: number) => void,
    /** The current TLS session ticket key, shared by all workers (with an HTTPS listener). */
    private ticketKey?: Buffer,
  ) {
    this.latest = initial;
    this.workerOpts = opts;
    const here = fileURLToPath(import.meta.url);
    const exec = here.slice(0, -extname(here).length) + '-main' + extname(here);
    // Test runners add their own flags; workers only need the loader ones (tsx in development).
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
    cluster.setupPrimary({ exec, execArgv, silent: false });
  }

  /**
   * Forks the workers; resolves when all listen. Without SO_REUSEPORT node:cluster's primary would accept every
   * connection and pass it to a worker over IPC, which costs more CPU per new connection than a TLS handshake.
   */
  async start(): Promise<void> {
    const { listen, tlsListen } = this.opts;
    this.port = await claimPort(listen);
    this.tlsPort = tlsListen ? await claimPort(tlsListen) : 0;
    this.workerOpts = {
      ...this.opts,
      listen: { ...listen, port: this.port },
      ...(tlsListen ? { tlsListen: { ...tlsListen, port: this.tlsPort } } : {}),
      reusePort: true,
    };
    await Promise.all(Array.from({ length: this.opts.workers }, () => this.fork()));
  }

  private fork(): Promise<void> {
    const worker = cluster.fork({ [WORKER_OPTIONS_ENV]: JSON.stringify(this.workerOpts) });
    const slot: Slot = { worker, applied: 0, synced: false };
    this.slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'hello') {
          // Sent once the worker listens for messages (earlier ones would be lost): the whole current snapshot.
          slot.synced = true;
          if (this.ticketKey) worker.send({ t: 'ticket-key', key: this.ticketKey.toString('base64') } satisfies ToWorker);
          worker.send({ t: 'snapshot', revision: this.latest.revision, delta: { set: [...this.latest.kvs], del: [] } } satisfies ToWorker);
        } else if (m.t === 'listening') {
          resolve();
        } else if (m.t === 'applied') {
          slot.applied = Math.max(slot.applied, m.revision);
          this.onApplied(this.appliedByAll());
        } else if (m.t === 'metrics') this.pendingMetrics.get(m.id)?.(m.snapshot);
      });
      worker.once('exit', (code, signal) => {
        this.slots.delete(slot);
        reject(new Error(`router worker exited before listening (code ${code}, signal ${signal})`));
        if (this.stopping) return;
        this.log.error({ pid: worker.process.pid, code, signal }, 'router worker died; starting another');
        this.fork().catch((err: Error) => this.log.error({ err }, 'could not replace a router worker'));
      });
    });
  }

  /** The revision every live worker has applied (0 if there are none). */
  appliedByAll(): number {
    let min = Infinity;
    for (const s of this.slots) min = Math.min(min, s.applied);
    return min === Infinity ? 0 : min;
  }

  /** Sends the change from the previous snapshot; `kvs` is the new whole snapshot (for workers forked later). */
  broadcast(revision: number, delta: SnapshotDelta, kvs: ReadonlyMap<string, string>): void {
    this.latest = { revision, kvs };
    const msg: ToWorker = { t: 'snapshot', revision, delta };
    for (const s of this.slots) if (s.synced && s.worker.isConnected()) s.worker.send(msg);
  }

  /** A rotated ticket key: to every worker now, and to workers forked later. */
  setTicketKey(key: Buffer): void {
    this.ticketKey = key;
    const msg: ToWorker = { t: 'ticket-key', key: key.toString('base64') };
    for (const s of this.slots) if (s.synced && s.worker.isConnected()) s.worker.send(msg);
  }

  get size(): number {
    return this.slots.size;
  }

  /** Sums the workers' metrics; a worker that does not answer within `timeoutMs` is left out. */
  async metrics(timeoutMs = 1000): Promise<MetricsSnapshot[]> {
    const asks = [...this.slots].map(
      (s) =>
        new Promise<MetricsSnapshot | undefined>((resolve) => {
          const id = this.nextMetricsId++;
          const timer = setTimeout(() => (this.pendingMetrics.delete(id), resolve(undefined)), timeoutMs);
          this.pendingMetrics.set(id, (snap) => (clearTimeout(timer), this.pendingMetrics.delete(id), resolve(snap)));
          if (s.worker.isConnected()) s.worker.send({ t: 'metrics', id } satisfies ToWorker);
        }),
    );
    return (await Promise.all(asks)).filter((x): x is MetricsSnapshot => x !== undefined);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.slots].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.worker.isDead()) return resolve();
            s.worker.once('exit', () => resolve());
            const kill = setTimeout(() => s.worker.process.kill('SIGKILL'), graceMs + 2000);
            s.worker.once('exit', () => clearTimeout(kill));
            if (s.worker.isConnected()) s.worker.send({ t: 'shutdown', graceMs } satisfies ToWorker);
            else s.worker.process.kill('SIGTERM');
          }),
      ),
    );
  }
}
