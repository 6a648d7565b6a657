// List-then-watch of one or more key prefixes in etcd, emitted as whole snapshots (key → value, revision).
// Owns its etcd watcher; keeps the last snapshot while etcd is unreachable and resumes or re-lists when it returns.
// Knows nothing of what the keys mean.
import { Range, type Etcd3, type Watcher } from 'etcd3';

export interface PrefixSnapshot {
  /** Every key under the watched prefixes with its value (utf-8). Never mutated after emission. */
  readonly kvs: ReadonlyMap<string, string>;
  /** Store revision this snapshot reflects: every change to these keys up to it is included. */
  readonly revision: number;
}

export interface WatchPrefixOptions {
  prefixes: string[];
  /** A changed snapshot; bursts closer than `debounceMs` become one snapshot. */
  onSnapshot(s: PrefixSnapshot): void;
  /** The revision advanced but the keys did not change (e.g. a value rewritten with the same bytes). */
  onProgress?(revision: number): void;
  /** etcd could not be reached (the last snapshot still stands) or came back. */
  onStatus?(s: { connected: boolean; error?: Error }): void;
  debounceMs?: number;
  /** Backoff bounds for re-listing when the initial list (or a re-list after compaction) fails. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface PrefixWatch {
  /** Resolves after the first snapshot was emitted. */
  readonly ready: Promise<PrefixSnapshot>;
  current(): PrefixSnapshot | undefined;
  close(): Promise<void>;
}

/** Starts watching; the first snapshot comes from a list at one revision, later ones from the watch after it. */
export function watchPrefixes(client: Etcd3, opts: WatchPrefixOptions): PrefixWatch {
  if (opts.prefixes.length === 0) throw new Error('watchPrefixes needs at least one prefix');
  const debounceMs = opts.debounceMs ?? 5;
  const prefixes = [...opts.prefixes].sort();
  // One watcher over the span of all prefixes keeps every event in revision order; keys between are filtered out.
  const span = new Range(prefixes[0]!, Range.prefix(prefixes[prefixes.length - 1]!).end);
  const wanted = prefixes.length === 1 ? () => true : (k: string) => prefixes.some((p) => k.startsWith(p));

  let kvs = new Map<string, string>();
  let revision = 0;
  let emitted: PrefixSnapshot | undefined;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let watcher: Watcher | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let resolveReady!: (s: PrefixSnapshot) => void;
  const ready = new Promise<PrefixSnapshot>((r) => (resolveReady = r));

  const flush = () => {
    timer = undefined;
    if (closed) return;
    if (!dirty && emitted) {
      if (revision > emitted.revision) opts.onProgress?.(revision);
      return;
    }
    dirty = false;
    emitted = Object.freeze({ kvs: new Map(kvs), revision });
    opts.onSnapshot(emitted);
    resolveReady(emitted);
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(flush, debounceMs);
  };

  const listAndWatch = async (attempt: number): Promise<void> => {
    if (closed) return;
    try {
      const res = await client.getAll().inRange(span).exec();
      const next = new Map<string, string>();
      for (const kv of res.kvs) {
        const k = kv.key.toString();
        if (wanted(k)) next.set(k, kv.value.toString());
      }
      const rev = Number(res.header.revision);
      if (!emitted || !sameMap(next, emitted.kvs)) dirty = true;
      kvs = next;
      revision = rev;
      opts.onStatus?.({ connected: true });
      if (closed) return;
      const w = await client
        .watch()
        .inRange(span)
        .startRevision(String(rev + 1))
        .create();
      if (closed) {
        await w.cancel();
        return;
      }
      watcher = w;
      w.on('data', (r) => {
        let max = 0;
        for (const ev of r.events) {
          const k = ev.kv.key.toString();
          // Keys between the prefixes are not ours: they must not even advance the revision, or a caller that
          // writes such a key when the revision advances (the router's own routers/<id> record) feeds itself.
          if (!wanted(k)) continue;
          const mod = Number(ev.kv.mod_revision);
          if (mod > max) max = mod;
          if (ev.type === 'Put') {
            const v = ev.kv.value.toString();
            if (kvs.get(k) !== v) {
              kvs.set(k, v);
              dirty = true;
            }
          } else if (kvs.delete(k)) dirty = true;
        }
        // Event revisions say "everything up to here was seen"; so does a progress notification's header
        // revision (etcd sends one only while the watcher is in sync).
        const seen = r.events.length > 0 ? max : Number(r.header.revision);
        if (seen > revision) {
          revision = seen;
          schedule();
        } else if (dirty) schedule();
      });
      w.on('disconnected', (err) => opts.onStatus?.({ connected: false, error: err }));
      w.on('connected', () => opts.onStatus?.({ connected: true }));
      w.on('error', (err) => {
        // Non-recoverable for this watcher (e.g. its revision was compacted): list again from scratch.
        opts.onStatus?.({ connected: false, error: err });
        if (watcher === w) watcher = undefined;
        void w.cancel().catch(() => undefined); // the stream is already gone; nothing to report
        retry(0);
      });
      schedule();
    } catch (err) {
      opts.onStatus?.({ connected: false, error: err as Error });
      retry(attempt + 1);
    }
  };
  const retry = (attempt: number) => {
    if (closed) return;
    const min = opts.retryMinMs ?? 100;
    const delay = Math.min(opts.retryMaxMs ?? 2000, min * 2 ** Math.min(attempt, 16));
    retryTimer = setTimeout(() => void listAndWatch(attempt), attempt === 0 ? 0 : delay);
  };
  void listAndWatch(0);

  return {
    ready,
    current: () => emitted,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (retryTimer) clearTimeout(retryTimer);
      await watcher?.cancel();
    },
  };
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
