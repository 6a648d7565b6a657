// An in-memory stand-in for src/store/store.ts, for unit tests of decisions (the scheduler's, the deployer's): the
// same operations, revisions and one-transaction commits, no etcd. Integration tests use the real etcd.
import { keys } from '../../src/store/keys.js';
import type { Store } from '../../src/store/store.js';

interface Kv {
  value: string;
  modRevision: number;
}

export class MemoryStore {
  readonly keys = keys('/test/');
  readonly data = new Map<string, Kv>();
  rev = 1;
  /** The revision of the last commit() (route switches). */
  lastCommit = 0;
  /** Every committed change, in order: `put KEY` / `delete KEY`, one entry per commit for commit(). */
  readonly changes: string[] = [];

  asStore(): Store {
    return this as unknown as Store;
  }

  async ping(): Promise<void> {}
  async get<T>(key: string): Promise<T | null> {
    const kv = this.data.get(key);
    return kv ? (JSON.parse(kv.value) as T) : null;
  }
  async getEntry<T>(key: string) {
    const kv = this.data.get(key);
    return kv ? { key, value: JSON.parse(kv.value) as T, modRevision: kv.modRevision } : null;
  }
  async put(key: string, value: unknown): Promise<number> {
    this.data.set(key, { value: JSON.stringify(value), modRevision: ++this.rev });
    this.changes.push(`put ${key}`);
    return this.rev;
  }
  async commit(puts: Array<{ key: string; value: unknown }>, deletes: string[] = []): Promise<number> {
    this.rev++;
    for (const { key, value } of puts) this.data.set(key, { value: JSON.stringify(value), modRevision: this.rev });
    for (const key of deletes) this.data.delete(key);
    this.changes.push(`commit +${puts.map((p) => p.key).join(',')} -${deletes.join(',')}`);
    this.lastCommit = this.rev;
    return this.rev;
  }
  /** Store.commitIf; a single put is logged as a put, the way `create` is. */
  async commitIf(
    conditions: { absent?: string[]; unchanged?: Array<{ key: string; modRevision: number }> },
    puts: Array<{ key: string; value: unknown }>,
    deletes: string[] = [],
  ): Promise<number | null> {
    if ((conditions.absent ?? []).some((k) => this.data.has(k))) return null;
    if ((conditions.unchanged ?? []).some((c) => this.data.get(c.key)?.modRevision !== c.modRevision)) return null;
    if (puts.length === 1 && deletes.length === 0) {
      await this.put(puts[0]!.key, puts[0]!.value);
      return this.rev;
    }
    return this.commit(puts, deletes);
  }
  async create(key: string, value: unknown): Promise<boolean> {
    if (this.data.has(key)) return false;
    await this.put(key, value);
    return true;
  }
  async replace(key: string, value: unknown, modRevision: number): Promise<boolean> {
    if (this.data.get(key)?.modRevision !== modRevision) return false;
    await this.put(key, value);
    return true;
  }
  async list<T>(prefix: string) {
    return [...this.data.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, kv]) => ({ key, value: JSON.parse(kv.value) as T, modRevision: kv.modRevision }));
  }
  /** Store.listChildren: the entries one level under `prefix`. */
  async listChildren<T>(prefix: string) {
    return this.listWhere<T>(prefix, (rest) => rest !== '' && !rest.includes('/'));
  }
  /** Store.getMany: the entries of `keys`, null where absent. */
  async getMany<T>(keys: string[]) {
    return keys.map((key) => {
      const kv = this.data.get(key);
      return kv ? { key, value: JSON.parse(kv.value) as T, modRevision: kv.modRevision } : null;
    });
  }
  /** Store.listWhere: the entries under `prefix` whose rest of the key `keep` accepts. */
  async listWhere<T>(prefix: string, keep: (rest: string) => boolean) {
    return (await this.list<T>(prefix)).filter((e) => keep(e.key.slice(prefix.length)));
  }
  async count(prefix: string): Promise<number> {
    return (await this.list(prefix)).length;
  }
  async delete(key: string): Promise<number> {
    this.data.delete(key);
    this.changes.push(`delete ${key}`);
    return ++this.rev;
  }
  async deletePrefix(prefix: string): Promise<number> {
    for (const k of [...this.data.keys()]) if (k.startsWith(prefix)) this.data.delete(k);
    this.changes.push(`delete ${prefix}*`);
    return ++this.rev;
  }
  async increment(key: string): Promise<number> {
    const next = ((await this.get<number>(key)) ?? 0) + 1;
    await this.put(key, next);
    return next;
  }
  async revision(): Promise<number> {
    return this.rev;
  }
  close(): void {}
}
