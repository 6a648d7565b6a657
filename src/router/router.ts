// The router process: watches `routes/`, `endpoints/` and `certs/` in etcd, feeds each snapshot to its proxy (in-process
// or cluster workers), publishes the applied revision in `routers/<id>`, serves the admin listener and shuts
// down gracefully. Imports nothing of the control plane.
import { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { keys } from '../store/keys.js';
import { watchPrefixes, type PrefixSnapshot, type PrefixWatch } from '../store/watch-prefix.js';
import { formatAddr, type Addr } from '../config/load.js';
import { startAdminServer } from './admin.js';
import { Registration } from './registration.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';
import { WorkerSet } from './workers.js';
import { mergeSnapshots, renderMetrics } from './metrics.js';
import { diffSnapshots } from './table-input.js';
import { ensureFallbackCertificate } from './tls-fallback.js';
import { acmeChallengesPrefix } from './acme-challenges.js';
import { TicketKeys } from './tls-tickets.js';
import type { RouterOptions } from './options.js';
import type { AccessLines } from './access-log.js';

export interface RunningRouter {
  readonly id: string;
  addresses(): { http: Addr; https: Addr | undefined; admin: Addr };
  /** Revision last published in `routers/<id>` (the proxies have applied everything up to it). */
  publishedRevision(): number;
  /** Resolves once the applied revision is ≥ `rev` and published. */
  waitPublished(rev: number): Promise<void>;
  close(): Promise<void>;
}

/** `lines` takes the access log's lines (the access log is off without it); cluster workers make their own. */
export async function startRouter(opts: RouterOptions, log: Logger, lines?: AccessLines): Promise<RunningRouter> {
  const k = keys(opts.prefix);
  const client = new Etcd3({ hosts: opts.etcdEndpoints });
  let etcdConnected = false;
  let watch: PrefixWatch | undefined;
  let local: ProxyProcess | undefined;
  let workers: WorkerSet | undefined;
  let snapshotRevision = 0; // revision of the last snapshot handed to the proxies
  let progressRevision = 0; // a later revision with no change to our keys
  let routes = 0;
  // One ticket key for every proxy process, rotated (tls-tickets.ts). node:cluster already hands the first
  // worker's key to the others, but never replaces it.
  const tickets = opts.tlsListen ? new TicketKeys((key) => (local ? local.setTicketKey(key) : workers?.setTicketKey(key)), opts.ticketRotateMs) : undefined;

  const registration = new Registration({
    client,
    key: k.router(opts.id),
    id: opts.id,
    addr: formatAddr(opts.listen),
    onError: (err) => log.warn({ err: err.message }, 'router registration not written yet; retrying'),
  });
  const appliedByProxies = () => (workers ? workers.appliedByAll() : snapshotRevision);
  const publish = () => {
    const applied = appliedByProxies();
    // A progress revision counts only once every proxy has the snapshot it follows.
    registration.publish(applied >= snapshotRevision ? Math.max(applied, progressRevision) : applied);
  };

  let applied: PrefixSnapshot | undefined; // the snapshot the proxies were last given
  const countRoutes = (s: PrefixSnapshot) => {
    let n = 0;
    for (const key of s.kvs.keys()) if (key.startsWith(k.routesPrefix())) n++;
    return n;
  };
  const onSnapshot = (s: PrefixSnapshot) => {
    const delta = diffSnapshots(applied?.kvs ?? new Map(), s.kvs);
    applied = s;
    snapshotRevision = s.revision;
    routes = countRoutes(s);
    if (local) local.apply(delta, s.revision);
    else if (workers) workers.broadcast(s.revision, delta, s.kvs);
    log.info({ revision: s.revision, keys: s.kvs.size, changed: delta.set.length + delta.del.length }, 'route table applied');
    publish();
  };

  try {
    if (opts.tlsListen) {
      if (!opts.dataDir) throw new Error('the router needs a data directory for its HTTPS listener');
      await ensureFallbackCertificate(opts.dataDir);
    }
    watch = watchPrefixes(client, {
      prefixes: [k.routesPrefix(), k.endpointsPrefix(), acmeChallengesPrefix(k.prefix), ...(opts.tlsListen ? [k.certsPrefix()] : [])],
      debounceMs: opts.debounceMs,
      onSnapshot: (s) => {
        if (local || workers) onSnapshot(s);
      },
      onProgress: (rev) => {
        progressRevision = rev;
        publish();
      },
      onStatus: ({ connected, error }) => {
        if (connected !== etcdConnected)
          log[connected ? 'info' : 'warn']({ err: error?.message }, connected ? 'etcd connected' : 'etcd unreachable; serving the last route table');
        etcdConnected = connected;
      },
    });
    const first = await watch.ready;
    applied = first;
    snapshotRevision = first.revision;
    routes = countRoutes(first);
    if (opts.workers <= 1) {
      local = await startProxyProcess(opts, log, { delta: { set: [...first.kvs], del: [] }, revision: first.revision, ticketKey: tickets?.current }, lines);
    } else {
      workers = new WorkerSet(opts, log, { revision: first.revision, kvs: first.kvs }, () => publish(), tickets?.current);
      await workers.start();
    }
    tickets?.start();
    // Snapshots that arrived while the proxies started.
    const now = watch.current();
    if (now && now.revision > snapshotRevision) onSnapshot(now);
    publish();
  } catch (err) {
    tickets?.stop();
    await watch?.close();
    await local?.close(0);
    await workers?.stop(0);
    client.close();
    throw err;
  }

  const admin = await startAdminServer(opts.adminListen, {
    health: () => ({ ok: true, revision: appliedByProxies(), routes, etcdConnected, workers: workers?.size ?? 1 }),
    metrics: async () => {
      const parts = workers ? await workers.metrics() : [local!.metrics.snapshot()];
      return renderMetrics(mergeSnapshots(parts), { revision: appliedByProxies(), routes, workers: workers?.size ?? 1 });
    },
  });

  let closing: Promise<void> | undefined;
  return {
    id: opts.id,
    addresses: () => ({
      http: local ? local.server.address() : { host: opts.listen.host, port: workers!.port },
      https: !opts.tlsListen ? undefined : local ? local.tlsServer!.address() : { host: opts.tlsListen.host, port: workers!.tlsPort },
      admin: admin.address(),
    }),
    publishedRevision: () => registration.writtenRevision,
    waitPublished: (rev) => registration.written$(rev),
    close() {
      closing ??= (async () => {
        // Deregister first so rollouts stop counting on this router, then drain.
        await registration.close();
        tickets?.stop();
        await watch?.close();
        await Promise.all([local?.close(opts.shutdownGraceMs), workers?.stop(opts.shutdownGraceMs)]);
        await admin.close();
        client.close();
      })();
      return closing;
    },
  };
}
