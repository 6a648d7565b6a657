// Typed JSON access to platform state in etcd: get/put/list/delete, create-if-absent, atomic counters,
// leases. Knows keys only as strings (see keys.ts); imports nothing else of the platform.
import { Etcd3, isRecoverableError, type Lease } from 'etcd3';
import { keys, type Keys } from './keys.js';

export class StoreUnavailableError extends Error {
  constructor(endpoints: string[], options?: { cause?: unknown }) {
    super(`etcd is not reachable at ${endpoints.join(', ')}; start it (or unset YB_ETCD_ENDPOINTS to use the embedded one)`, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface Entry<T> {
  key: string;
  value: T;
  modRevision: number;
}

export class Store {
  readonly client: Etcd3;
  readonly keys: Keys;

  constructor(
    readonly endpoints: string[],
    prefix: string,
  ) {
    this.client = new Etcd3({
      hosts: endpoints,
      dialTimeout: 3000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5000 }),
    });
    this.keys = keys(prefix);
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (
        isRecoverableError(err as Error) ||
        /GRPC|deadline|UNAVAILABLE|ECONNREFUSED/i.test(String((err as Error)?.name ?? '') + String((err as Error)?.message ?? ''))
      ) {
        throw new StoreUnavailableError(this.endpoints, { cause: err });
      }
      throw err;
    }
  }

  /** Resolves when etcd answers; throws StoreUnavailableError otherwise. */
  async ping(): Promise<void> {
    await this.guard(() => this.client.maintenance.status());
  }

  async get<T>(key: string): Promise<T | null> {
    const raw = await this.guard(() => this.client.get(key).string());
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async getEntry<T>(key: string): Promise<Entry<T> | null> {
    const res = await this.guard(() => this.client.get(key).exec());
    const kv = res.kvs[0];
    if (!kv) return null;
    return { key, value: JSON.parse(kv.value.toString()) as T, modRevision: Number(kv.mod_revision) };
  }

  async put(key: string, value: unknown, lease?: Lease): Promise<number> {
    const body = JSON.stringify(value);
    const res = await this.guard(() => (lease ? lease.put(key).value(body).exec() : this.client.put(key).value(body).exec()));
    return Number(res.header.revision);
  }

  /** Writes `puts` and deletes `deletes` in one transaction, so watchers see one change; returns its revision. */
  async commit(puts: Array<{ key: string; value: unknown }>, deletes: string[] = []): Promise<number> {
    const success = [
      ...puts.map(({ key, value }) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)) } })),
      ...deletes.map((key) => ({ request_delete_range: { key: Buffer.from(key) } })),
    ];
    const res = await this.guard(() => this.client.kv.txn({ success }));
    return Number(res.header.revision);
  }

  /**
   * Like `commit`, but only while each of `absent` does not exist and each of `unchanged` still has its mod revision;
   * returns the revision, or null when a condition failed (nothing was written).
   */
  async commitIf(
    conditions: { absent?: string[]; unchanged?: Array<{ key: string; modRevision: number }> },
    puts: Array<{ key: string; value: unknown }>,
    deletes: string[] = [],
  ): Promise<number | null> {
    const compare = [
      ...(conditions.absent ?? []).map((key) => ({ key: Buffer.from(key), target: 'Create' as const, result: 'Equal' as const, create_revision: '0' })),
      ...(conditions.unchanged ?? []).map((c) => ({
        key: Buffer.from(c.key),
        target: 'Mod' as const,
        result: 'Equal' as const,
        mod_revision: String(c.modRevision),
      })),
    ];
    const success = [
      ...puts.map(({ key, value }) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)) } })),
      ...deletes.map((key) => ({ request_delete_range: { key: Buffer.from(key) } })),
    ];
    const res = await this.guard(() => this.client.kv.txn({ compare, success }));
    return res.succeeded ? Number(res.header.revision) : null;
  }

  /** Writes `key` only if it does not exist; returns whether it was written. */
  async create(key: string, value: unknown): Promise<boolean> {
    const res = await this.guard(() =>
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(value)))
        .commit(),
    );
    return res.succeeded;
  }

  /** Replaces `key` only if its mod revision is still `modRevision`; returns whether it was written. */
  async replace(key: string, value: unknown, modRevision: number): Promise<boolean> {
    const res = await this.guard(() =>
      this.client
        .if(key, 'Mod', '==', modRevision)
        .then(this.client.put(key).value(JSON.stringify(value)))
        .commit(),
    );
    return res.succeeded;
  }

  /** Lists every entry under `prefix`, sorted by key. */
  async list<T>(prefix: string): Promise<Entry<T>[]> {
    const res = await this.guard(() => this.client.getAll().prefix(prefix).sort('Key', 'Ascend').exec());
    return res.kvs.map((kv) => ({ key: kv.key.toString(), value: JSON.parse(kv.value.toString()) as T, modRevision: Number(kv.mod_revision) }));
  }

  /**
   * The entries one level under `prefix` (`prefix` + a name with no '/'), sorted by key, as of one revision: what lies
   * deeper (an app's releases, config, formation under `apps/<name>/`) is never transferred, so `listApps` no longer
   * grows with releases (docs/architecture.md §3).
   */
  async listChildren<T>(prefix: string): Promise<Entry<T>[]> {
    return this.listWhere<T>(prefix, (rest) => rest !== '' && !rest.includes('/'));
  }

  /**
   * The entries under `prefix` whose key, less the prefix, `keep` accepts, sorted by key, as of one revision: the keys
   * are found in a keys-only listing and only the kept ones' values are read, in batched transactions at its revision.
   */
  async listWhere<T>(prefix: string, keep: (rest: string) => boolean): Promise<Entry<T>[]> {
    const start = Buffer.from(prefix);
    const listing = await this.guard(() =>
      this.client.kv.range({ key: start, range_end: prefixEnd(start), keys_only: true, sort_order: 'Ascend', sort_target: 'Key' }),
    );
    const names = listing.kvs.map((kv) => kv.key.toString()).filter((k) => keep(k.slice(prefix.length)));
    return (await this.readBatched<T>(names, listing.header.revision)).filter((e) => e !== null);
  }

  /** The entries of `keys` (null where absent), in that order, read in a few transactions at one revision. */
  async getMany<T>(keys: string[]): Promise<Array<Entry<T> | null>> {
    return this.readBatched<T>(keys);
  }

  /** Reads `keys` in transactions of at most 100 (etcd refuses more than --max-txn-ops, 128 by default) at `revision` (the first's, if not given). */
  private async readBatched<T>(keys: string[], revision?: string): Promise<Array<Entry<T> | null>> {
    const out: Array<Entry<T> | null> = [];
    let at = revision;
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = keys.slice(i, i + 100);
      const res = await this.guard(() =>
        this.client.kv.txn({ success: chunk.map((k) => ({ request_range: { key: Buffer.from(k), ...(at ? { revision: at } : {}) } })) }),
      );
      at ??= res.header.revision;
      for (const r of res.responses) {
        const kv = r.response_range.kvs[0];
        out.push(kv ? { key: kv.key.toString(), value: JSON.parse(kv.value.toString()) as T, modRevision: Number(kv.mod_revision) } : null);
      }
    }
    return out;
  }

  /** Keys only (no values) in [start, end), ascending, at most `limit` of them. */
  async keysInRange(start: string, end: string, limit: number): Promise<string[]> {
    return this.guard(() => this.client.getAll().inRange({ start, end }).sort('Key', 'Ascend').limit(limit).keys());
  }

  /** How many keys there are under `prefix` (counted by etcd; nothing is transferred). */
  async count(prefix: string): Promise<number> {
    return this.guard(() => this.client.getAll().prefix(prefix).count());
  }

  /** Deletes the keys in [start, end); returns how many were deleted. */
  async deleteRange(start: string, end: string): Promise<number> {
    const res = await this.guard(() => this.client.delete().inRange({ start, end }).exec());
    return Number(res.deleted);
  }

  async delete(key: string): Promise<number> {
    const res = await this.guard(() => this.client.delete().key(key).exec());
    return Number(res.header.revision);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const res = await this.guard(() => this.client.delete().prefix(prefix).exec());
    return Number(res.header.revision);
  }

  /** Atomically increments the integer counter at `key` and returns the new value (starting at 1). */
  async increment(key: string): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const cur = await this.getEntry<number>(key);
      const next = (cur?.value ?? 0) + 1;
      const ok = cur ? await this.replace(key, next, cur.modRevision) : await this.create(key, next);
      if (ok) return next;
    }
    throw new Error(`could not increment ${key}: too much contention`);
  }

  /** The store's current revision. */
  async revision(): Promise<number> {
    const res = await this.guard(() => this.client.get(this.keys.prefix + '\u0000revision-probe').exec());
    return Number(res.header.revision);
  }

  lease(ttlSeconds: number): Lease {
    return this.client.lease(ttlSeconds, { autoKeepAlive: true });
  }

  close(): void {
    this.client.close();
  }
}

/** The end of the key range of every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
