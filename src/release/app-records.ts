// Apps, config vars, releases and formation in the store. Releases are immutable once written, except for
// their rollout status. No Docker, no HTTP: callers decide what a change means for running containers.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { checkAppName } from './names.js';
import { openFor, sealFor } from '../auth/secrets.js';
import type { ConfigVars } from './config-vars.js';
import type { DeployManifest } from './app-json.js';
import type { Phases } from '../shared/phases.js';
import { ImageOwners } from './image-owners.js';

export interface AppRecord {
  name: string;
  team: string;
  createdAt: string;
  createdBy: string;
  /** Release currently receiving traffic (0: none yet). */
  currentRelease: number;
  /** Buildpack override set with `yb buildpacks:set`. */
  buildpack?: string;
  /** Stopped with `yb ps:stop`: no processes run until `yb ps:start` or the next deploy. */
  stopped?: boolean;
  /** Random id of this app (not of its name): what lives outside etcd and outlives a destroy, such as build cache mounts, is named by it. Absent on apps created before it existed. */
  incarnation?: string;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface ReleaseRecord {
  version: number;
  app: string;
  /** Image reference (platform tag) and its content id. */
  image: string;
  imageId: string;
  /** The image in the platform's registry by digest, `<host>/<instance>/<app>@sha256:…`, when it was pushed (YB_REGISTRY_PUSH). */
  registryImage?: string;
  config: ConfigVars;
  processTypes: Record<string, string>;
  /** How the image was made: buildpack images start processes with yb-launch, others as the image says. */
  builder: 'buildpacks' | 'dockerfile' | 'image';
  /** Container port the web process listens on (PORT). */
  port: number;
  build?: string;
  /** Deploy conventions from app.json / CHECKS of the built source. */
  manifest?: DeployManifest;
  /** The image has a HEALTHCHECK of its own: rollouts wait for it to pass. */
  imageHealthcheck?: boolean;
  description: string;
  createdBy: string;
  createdAt: string;
  status: ReleaseStatus;
  statusReason?: string;
  /** Where its rollout's time went, in ms (shared/phases.ts: queue, release, start, health, switch, stop). */
  phases?: Phases;
}

/** A release as stored: written before the runtime interface, the image check was `dockerHealth`. */
type StoredRelease = ReleaseRecord & { dockerHealth?: boolean };

/** A stored release with its config opened and old field names read as today's. */
function fromStored(store: Store, app: string, stored: StoredRelease): ReleaseRecord {
  const { dockerHealth, ...rel } = stored;
  return {
    ...rel,
    config: openFor<ConfigVars>(store, rel.config, `config:${app}`),
    ...(rel.imageHealthcheck === undefined && dockerHealth !== undefined ? { imageHealthcheck: dockerHealth } : {}),
  };
}

export interface FormationRecord {
  type: string;
  quantity: number;
  size?: string;
}

export class AppRecords {
  /** Which team owns which image (imports and builds); lives beside the apps, whose builds write it. */
  readonly images: ImageOwners;

  constructor(private readonly store: Store) {
    this.images = new ImageOwners(store);
  }

  private get k() {
    return this.store.keys;
  }

  async createApp(name: string, team: string, user: string): Promise<AppRecord> {
    checkAppName(name);
    const app: AppRecord = { name, team, createdAt: new Date().toISOString(), createdBy: user, currentRelease: 0, incarnation: randomBytes(8).toString('hex') };
    // A name an `apps:rename` in progress is moving an app to is taken too (release/rename-plan.ts).
    if ((await this.store.commitIf({ absent: [this.k.app(name), this.k.renameJournal(name)] }, [{ key: this.k.app(name), value: app }])) === null)
      throw new YbError('YB_ERR_APP_EXISTS', `an app named "${name}" already exists`);
    return app;
  }

  async getApp(name: string): Promise<AppRecord | null> {
    if (!/^[a-z0-9-]{1,64}$/.test(name)) return null;
    return this.store.get<AppRecord>(this.k.app(name));
  }

  async requireApp(name: string): Promise<AppRecord> {
    const app = await this.getApp(name);
    if (!app) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${name.slice(0, 64)}"`);
    return app;
  }

  async listApps(): Promise<AppRecord[]> {
    // apps/<name> only: config, releases and formation under apps/<name>/ are not read (docs/architecture.md §3).
    return (await this.store.listChildren<AppRecord>(this.k.appsPrefix())).map((e) => e.value);
  }

  async updateApp(name: string, change: (app: AppRecord) => AppRecord): Promise<AppRecord> {
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.getEntry<AppRecord>(this.k.app(name));
      if (!cur) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${name}"`);
      const next = change(cur.value);
      if (await this.store.replace(this.k.app(name), next, cur.modRevision)) return next;
    }
    throw new YbError('YB_ERR_CONFLICT', `app ${name} is being changed by someone else; try again`);
  }

  /** Deletes every key of the app (records, releases, formation, domains, drains, deps, builds, deploy lock); the app record last, so a retry finds it. */
  async deleteApp(name: string): Promise<void> {
    await this.store.deletePrefix(`${this.k.app(name)}/`);
    await this.store.deletePrefix(this.k.buildsPrefix(name));
    await this.store.delete(this.k.deployLock(name));
    await this.store.delete(this.k.app(name));
  }

  async getConfig(app: string): Promise<ConfigVars> {
    return openFor<ConfigVars | null>(this.store, await this.store.get<unknown>(this.k.config(app)), `config:${app}`) ?? {};
  }

  async putConfig(app: string, vars: ConfigVars): Promise<void> {
    await this.store.put(this.k.config(app), sealFor(this.store, vars, `config:${app}`));
  }

  /** Records a new release with the next version number, status pending. */
  async createRelease(fields: Omit<ReleaseRecord, 'version' | 'createdAt' | 'status'>): Promise<ReleaseRecord> {
    const version = await this.store.increment(this.k.releaseCounter(fields.app));
    const rel: ReleaseRecord = { ...fields, config: { ...fields.config }, version, createdAt: new Date().toISOString(), status: 'pending' };
    await this.store.put(this.k.release(fields.app, version), { ...rel, config: sealFor(this.store, rel.config, `config:${fields.app}`) });
    return rel;
  }

  /** The release `version` of `app`; null when there is none (version 0: the app has no release yet). */
  async getRelease(app: string, version: number): Promise<ReleaseRecord | null> {
    if (!Number.isInteger(version) || version < 1) return null;
    const rel = await this.store.get<StoredRelease>(this.k.release(app, version));
    return rel ? fromStored(this.store, app, rel) : null;
  }

  /** Several apps' releases (null where absent), in order, in a few reads at one revision, not one read each. */
  async getReleases(wanted: Array<{ app: string; version: number }>): Promise<Array<ReleaseRecord | null>> {
    const entries = await this.store.getMany<StoredRelease>(wanted.map((w) => this.k.release(w.app, w.version)));
    return entries.map((e, i) => (e ? fromStored(this.store, wanted[i]!.app, e.value) : null));
  }

  async listReleases(app: string): Promise<ReleaseRecord[]> {
    return (await this.store.list<StoredRelease>(this.k.releasesPrefix(app))).map((e) => fromStored(this.store, app, e.value));
  }

  /** Versions of the app's releases still pending, read without opening their sealed config. */
  async pendingReleases(app: string): Promise<number[]> {
    return (await this.store.list<StoredRelease>(this.k.releasesPrefix(app))).filter((e) => e.value.status === 'pending').map((e) => e.value.version);
  }

  /** Changes only the rollout status; the stored record (config still sealed) is otherwise written back as read. */
  async setReleaseStatus(app: string, version: number, status: ReleaseStatus, reason?: string, phases?: Phases): Promise<void> {
    const key = this.k.release(app, version);
    const stored = await this.store.get<Record<string, unknown>>(key);
    if (!stored) return;
    await this.store.put(key, { ...stored, status, statusReason: reason, ...(phases ? { phases } : {}) });
  }

  async getFormation(app: string): Promise<FormationRecord[]> {
    return readFormation(this.store, app);
  }

  async putFormation(app: string, f: FormationRecord): Promise<void> {
    await this.store.put(this.k.formation(app, f.type), f);
  }
}

/** An app's stored formation (one record per process type); for those holding the store rather than the app records. */
export async function readFormation(store: Store, app: string): Promise<FormationRecord[]> {
  return (await store.list<FormationRecord>(store.keys.formationPrefix(app))).map((e) => e.value);
}
