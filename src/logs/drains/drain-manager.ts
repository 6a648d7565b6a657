// The log drains of all apps: records in etcd (`apps/<app>/drains/<id>`, so destroying an app removes them),
// one running Drain each, fed every line the log hub sees for that app.
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';
import type { LogHub } from '../log-hub.js';
import { YbError } from '../../shared/errors.js';
import { Drain, type DrainRecord, type DrainStatus } from './drain.js';
import { parseDrainUrl } from './syslog-frame.js';
import { checkedAddress } from '../../shared/outbound-guard.js';

export type DrainView = DrainRecord & DrainStatus & { kind: string };

export class DrainManager {
  private readonly drains = new Map<string, Map<string, Drain>>();
  private unhook: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly hub: LogHub,
    private readonly bufferLines: number,
    private readonly allowPrivate = false,
  ) {}

  private prefix(app: string): string {
    return `${this.store.keys.app(app)}/drains/`;
  }

  /** Starts the drains of the given apps and feeds them from now on. */
  async start(apps: string[]): Promise<void> {
    for (const app of apps) for (const e of await this.store.list<DrainRecord>(this.prefix(app))) this.run(e.value);
    this.unhook = this.hub.onLines((app, lines) => {
      for (const d of this.drains.get(app)?.values() ?? []) d.push(lines);
    });
  }

  stop(): void {
    this.unhook?.();
    for (const m of this.drains.values()) for (const d of m.values()) d.close();
    this.drains.clear();
  }

  private run(rec: DrainRecord): Drain | null {
    const parsed = parseDrainUrl(rec.url);
    if ('error' in parsed) return null;
    const d = new Drain(rec, parsed.kind, parsed.url, this.bufferLines, this.allowPrivate);
    let m = this.drains.get(rec.app);
    if (!m) this.drains.set(rec.app, (m = new Map()));
    m.get(rec.id)?.close();
    m.set(rec.id, d);
    return d;
  }

  private view(d: Drain): DrainView {
    return { ...d.record, kind: d.kind, ...d.status() };
  }

  list(app: string): DrainView[] {
    return [...(this.drains.get(app)?.values() ?? [])].map((d) => this.view(d)).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  }

  async add(app: string, url: string): Promise<DrainView> {
    const parsed = parseDrainUrl(url);
    if ('error' in parsed) throw new YbError('YB_ERR_BAD_REQUEST', parsed.error);
    if (this.list(app).some((d) => d.url === url)) throw new YbError('YB_ERR_CONFLICT', `${app} already has a drain to that URL`);
    // Refused addresses are refused now; a name that does not resolve yet is the drain's to retry.
    const refused = await checkedAddress(parsed.url.hostname, this.allowPrivate).then(
      () => undefined,
      (err: Error) => (/does not connect/.test(err.message) ? err : undefined),
    );
    if (refused) throw new YbError('YB_ERR_BAD_REQUEST', `drain ${parsed.url.host}: ${refused.message}`);
    const rec: DrainRecord = {
      id: randomBytes(8).toString('hex'),
      app,
      url,
      token: `d.${randomBytes(12).toString('hex')}`,
      createdAt: new Date().toISOString(),
    };
    await this.store.put(`${this.prefix(app)}${rec.id}`, rec);
    return this.view(this.run(rec)!);
  }

  /** Removes the drain with that id or URL. */
  async remove(app: string, idOrUrl: string): Promise<DrainView> {
    const d = [...(this.drains.get(app)?.values() ?? [])].find((x) => x.record.id === idOrUrl || x.record.url === idOrUrl);
    if (!d) throw new YbError('YB_ERR_NOT_FOUND', `${app} has no drain ${idOrUrl.slice(0, 200)}`, { hint: `list them with: yb drains -a ${app}` });
    await this.store.delete(`${this.prefix(app)}${d.record.id}`);
    d.close();
    this.drains.get(app)!.delete(d.record.id);
    return this.view(d);
  }

  /** Runs the drains of `to` from its records, those of `from` stopped (apps:rename moved the records). */
  async rename(from: string, to: string): Promise<void> {
    this.forget(from);
    this.forget(to);
    for (const e of await this.store.list<DrainRecord>(this.prefix(to))) this.run(e.value);
  }

  /** Stops an app's drains (app destroyed; its records went with the app's keys). */
  forget(app: string): void {
    for (const d of this.drains.get(app)?.values() ?? []) d.close();
    this.drains.delete(app);
  }
}
