// Service records in the store (`services/<name>`): read, create-if-absent, compare-and-swap updates, delete.
// Credentials are sealed at rest with the platform's secret key (context `service:<name>`), plain in memory.
// No Docker, no config changes: the service manager decides what a change means.
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { openFor, sealFor } from '../auth/secrets.js';
import type { Connection } from './kinds.js';
import type { ServiceRecord } from './records.js';

export class ServiceRecords {
  constructor(private readonly store: Store) {}

  private sealed(s: ServiceRecord): unknown {
    return { ...s, connection: sealFor(this.store, s.connection, `service:${s.name}`) };
  }

  private opened(raw: ServiceRecord): ServiceRecord {
    return { ...raw, connection: openFor<Connection>(this.store, raw.connection, `service:${raw.name}`) };
  }

  async list(): Promise<ServiceRecord[]> {
    const prefix = this.store.keys.servicesPrefix();
    return (await this.store.list<ServiceRecord>(prefix)).filter((e) => !e.key.slice(prefix.length).includes('/')).map((e) => this.opened(e.value));
  }

  async get(name: string): Promise<ServiceRecord | null> {
    if (!/^[a-z0-9-]{1,64}$/.test(name)) return null;
    const raw = await this.store.get<ServiceRecord>(this.store.keys.service(name));
    return raw ? this.opened(raw) : null;
  }

  async require(name: string): Promise<ServiceRecord> {
    const s = await this.get(name);
    if (!s) throw new YbError('YB_ERR_NOT_FOUND', `no service named "${name.slice(0, 64)}"`);
    return s;
  }

  /** Writes the record only if no service of that name exists; returns whether it was written. */
  async create(s: ServiceRecord): Promise<boolean> {
    return this.store.create(this.store.keys.service(s.name), this.sealed(s));
  }

  async update(name: string, change: (s: ServiceRecord) => ServiceRecord): Promise<ServiceRecord> {
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.getEntry<ServiceRecord>(this.store.keys.service(name));
      if (!cur) throw new YbError('YB_ERR_NOT_FOUND', `no service named "${name}"`);
      const next = change(this.opened(cur.value));
      if (await this.store.replace(this.store.keys.service(name), this.sealed(next), cur.modRevision)) return next;
    }
    throw new YbError('YB_ERR_CONFLICT', `service ${name} is being changed by someone else; try again`);
  }

  /** Deletes the record and what hangs under it (its backup plan and runs, docs/architecture.md §5.4). */
  async delete(name: string): Promise<void> {
    await this.store.delete(this.store.keys.service(name));
    await this.store.deletePrefix(`${this.store.keys.service(name)}/`);
  }
}
