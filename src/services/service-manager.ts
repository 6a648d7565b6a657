// Backing services: provisioning (image, volume, container on the team network, health check), attached
// external resources, links to apps (config vars through Deployer.changeConfig, so each change is a release),
// restarts, backups and restores. Callers authorise; this module enforces team boundaries and consistency.
import type { AppRecords } from '../release/app-records.js';
import type { Deployer, Out } from '../deploy/pipeline.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { KINDS, type ServiceKind } from './kinds.js';
import { checkServiceName, linkVars, normaliseAlias, parseAttachedUrl } from './bindings.js';
import { generateConnection } from './credentials.js';
import type { ServiceContainers } from './containers.js';
import type { ServiceImages } from './images.js';
import { type BackupFiles, newBackupId, type BackupInfo } from './backups.js';
import type { LinkRecord, ServiceRecord } from './records.js';
import type { ServiceRecords } from './service-records.js';

export interface ServiceSettings {
  healthTimeoutMs: number;
  backupRetention: number;
}

export type ServiceState = 'running' | 'stopped' | 'missing' | 'external';

export class ServiceManager {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly records: ServiceRecords,
    private readonly apps: AppRecords,
    private readonly deployer: Deployer,
    private readonly images: ServiceImages,
    private readonly containers: ServiceContainers,
    readonly backupFiles: BackupFiles,
    private readonly settings: ServiceSettings,
    private readonly log: Logger,
  ) {}

  /** One change at a time per service (restart, backup, restore, links, destroy). */
  private async serialized<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(name) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.queues.set(name, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(name) === run) this.queues.delete(name);
    }
  }

  async list(): Promise<ServiceRecord[]> {
    return this.records.list();
  }

  async get(name: string): Promise<ServiceRecord | null> {
    return this.records.get(name);
  }

  async require(name: string): Promise<ServiceRecord> {
    return this.records.require(name);
  }

  private update(name: string, change: (s: ServiceRecord) => ServiceRecord): Promise<ServiceRecord> {
    return this.records.update(name, change);
  }

  /** Names are shared with apps on the team network's DNS: a service may not take an app's name. */
  private async claimName(record: ServiceRecord): Promise<void> {
    if (await this.apps.getApp(record.name)) throw new YbError('YB_ERR_CONFLICT', `"${record.name}" is already the name of an app; pick another service name`);
    if (!(await this.records.create(record))) throw new YbError('YB_ERR_CONFLICT', `a service named "${record.name}" already exists`);
  }

  async state(s: ServiceRecord): Promise<ServiceState> {
    if (s.origin === 'attached') return 'external';
    const id = await this.containers.find(s.name);
    if (!id) return 'missing';
    return (await this.containers.isRunning(id)) ? 'running' : 'stopped';
  }

  /** `yb services:create KIND NAME`: a health-checked container with a fresh volume and generated credentials. */
  async create(req: { kind: ServiceKind; name: string; team: string; user: string }, out: Out): Promise<ServiceRecord> {
    checkServiceName(req.name);
    const spec = KINDS[req.kind];
    const record: ServiceRecord = {
      name: req.name,
      team: req.team,
      kind: req.kind,
      origin: 'provisioned',
      status: 'creating',
      connection: generateConnection(req.kind, req.name),
      links: [],
      createdAt: new Date().toISOString(),
      createdBy: req.user,
    };
    await this.claimName(record);
    try {
      const image = await this.images.ensure(req.kind, (l) => out(`image: ${l}`));
      const backupsDir = await this.backupFiles.ensureDir(req.name);
      const c = record.connection;
      const id = await this.containers.create({
        service: req.name,
        team: req.team,
        image,
        port: spec.port,
        network: await this.containers.network(req.team),
        backupsDir,
        env: { YB_SERVICE_USER: c.user, YB_SERVICE_PASSWORD: c.password, YB_SERVICE_DB: c.database },
      });
      out(`Waiting for ${spec.kind} to accept connections`);
      await this.waitHealthy(record, id);
    } catch (err) {
      await this.containers.remove(req.name).catch((e: unknown) => this.log.warn({ err: e, service: req.name }, 'cleaning up a failed service failed'));
      await this.records.delete(req.name);
      throw err;
    }
    this.log.info({ service: req.name, kind: req.kind, team: req.team, user: req.user }, 'service created');
    return this.update(req.name, (s) => ({ ...s, status: 'ready' }));
  }

  /** `yb services:attach-url NAME URL`: an external resource, bound to apps like a provisioned one. */
  async attach(req: { name: string; url: string; team: string; user: string }): Promise<ServiceRecord> {
    checkServiceName(req.name);
    const { kind, connection } = parseAttachedUrl(req.url);
    const record: ServiceRecord = {
      name: req.name,
      team: req.team,
      kind,
      origin: 'attached',
      status: 'ready',
      connection,
      links: [],
      createdAt: new Date().toISOString(),
      createdBy: req.user,
    };
    await this.claimName(record);
    this.log.info({ service: req.name, kind, team: req.team, user: req.user }, 'external resource attached');
    return record;
  }

  /** Polls the kind's health command inside the container until it succeeds; fails early if the container stops. */
  private async waitHealthy(s: ServiceRecord, id: string): Promise<void> {
    if (!s.kind) return;
    const step = KINDS[s.kind].health(s.connection);
    const deadline = Date.now() + this.settings.healthTimeoutMs;
    let last = '';
    for (;;) {
      if (!(await this.containers.isRunning(id))) {
        const tail = await this.containers.logsTail(id);
        throw new YbError('YB_ERR_UNHEALTHY', `the ${s.kind} container of ${s.name} stopped while starting`, {
          hint: tail.length ? `last output:\n${tail.join('\n')}` : undefined,
        });
      }
      const r = await this.containers.exec(id, step);
      if (r.code === 0 && (!step.expect || r.stdout.includes(step.expect))) return;
      last = (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '';
      if (Date.now() > deadline) {
        throw new YbError(
          'YB_ERR_UNHEALTHY',
          `${s.name} did not become ready within ${Math.round(this.settings.healthTimeoutMs / 1000)} s${last ? `: ${last}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 300)); // polling an external process; there is no event to wait on
    }
  }

  private async requireContainer(s: ServiceRecord): Promise<string> {
    if (s.origin === 'attached') throw new YbError('YB_ERR_BAD_REQUEST', `${s.name} is an attached external resource; the platform does not run it`);
    const id = await this.containers.find(s.name);
    if (!id) throw new YbError('YB_ERR_CONFLICT', `the container of ${s.name} is missing; destroy and create the service again`);
    return id;
  }

  /** `yb services:restart NAME`: restarts the container (the volume keeps the data) and waits until it is ready. */
  async restart(name: string): Promise<void> {
    await this.serialized(name, async () => {
      const s = await this.require(name);
      const id = await this.requireContainer(s);
      await this.containers.restart(id);
      await this.waitHealthy(s, id);
    });
  }

  /** Links of `s` whose app still exists (a destroyed app's links are stale, even if an app of that name came back). */
  async liveLinks(s: ServiceRecord): Promise<LinkRecord[]> {
    const out: LinkRecord[] = [];
    for (const l of s.links) {
      const app = await this.apps.getApp(l.app);
      if (app && app.createdAt <= l.createdAt) out.push(l);
    }
    return out;
  }

  /** `yb services:link NAME -a APP [--as ALIAS]`: sets `<ALIAS>_URL` and its parts on the app (a new release). */
  async link(req: { name: string; app: string; alias?: string; user: string }, out: Out): Promise<{ link: LinkRecord; release?: number }> {
    return this.serialized(req.name, async () => {
      const s = await this.require(req.name);
      const app = await this.apps.requireApp(req.app);
      if (app.team !== s.team)
        throw new YbError('YB_ERR_FORBIDDEN', `${s.name} belongs to team ${s.team} and ${app.name} to team ${app.team}; link services within one team`);
      const alias = normaliseAlias(req.alias ?? (s.kind ? KINDS[s.kind].defaultAlias : s.name));
      const vars = linkVars(s.connection, alias);
      const config = await this.apps.getConfig(app.name);
      const taken = await this.linkUsing(app.name, alias);
      if (taken) {
        throw new YbError('YB_ERR_CONFLICT', `${app.name} already has ${alias}_URL from ${taken === s.name ? 'this service' : `service ${taken}`}`, {
          hint: `link under another name with --as, e.g. --as ${s.name.toUpperCase().replace(/-/g, '_')}`,
        });
      }
      if (`${alias}_URL` in config)
        throw new YbError('YB_ERR_CONFLICT', `${app.name} already has a config var ${alias}_URL`, {
          hint: 'unset it first, or link under another name with --as',
        });
      const link: LinkRecord = { app: app.name, alias, keys: Object.keys(vars), createdAt: new Date().toISOString(), createdBy: req.user };
      await this.update(s.name, (cur) => ({ ...cur, links: [...cur.links.filter((l) => !(l.app === app.name && l.alias === alias)), link] }));
      const result = await this.deployer.changeConfig(app.name, vars, req.user, out);
      this.log.info({ service: s.name, app: app.name, alias }, 'service linked');
      return { link, release: result.release?.version };
    });
  }

  /** The service that already binds `alias` on `app`, if any. */
  private async linkUsing(app: string, alias: string): Promise<string | null> {
    for (const s of await this.list()) {
      const same = s.links.filter((l) => l.app === app && l.alias === alias);
      if (same.length && (await this.liveLinks({ ...s, links: same })).length) return s.name;
    }
    return null;
  }

  /** `yb services:unlink NAME -a APP [--as ALIAS]`: removes exactly the vars the link set (a new release). */
  async unlink(req: { name: string; app: string; alias?: string; user: string }, out: Out): Promise<{ removed: string[]; release?: number }> {
    return this.serialized(req.name, () => this.unlinkNow(req, out));
  }

  private async unlinkNow(req: { name: string; app: string; alias?: string; user: string }, out: Out): Promise<{ removed: string[]; release?: number }> {
    const s = await this.require(req.name);
    const alias = req.alias ? normaliseAlias(req.alias) : undefined;
    const links = s.links.filter((l) => l.app === req.app && (!alias || l.alias === alias));
    if (links.length === 0) throw new YbError('YB_ERR_NOT_FOUND', `${s.name} is not linked to ${req.app}${alias ? ` as ${alias}` : ''}`);
    if (links.length > 1)
      throw new YbError(
        'YB_ERR_BAD_REQUEST',
        `${s.name} is linked to ${req.app} more than once (${links.map((l) => l.alias).join(', ')}); say which with --as`,
      );
    const link = links[0]!;
    let release: number | undefined;
    if ((await this.liveLinks({ ...s, links: [link] })).length) {
      const result = await this.deployer.changeConfig(link.app, Object.fromEntries(link.keys.map((k) => [k, null])), req.user, out);
      release = result.release?.version;
    }
    await this.update(s.name, (cur) => ({ ...cur, links: cur.links.filter((l) => !(l.app === link.app && l.alias === link.alias)) }));
    this.log.info({ service: s.name, app: link.app, alias: link.alias }, 'service unlinked');
    return { removed: link.keys, release };
  }

  /** `yb services:destroy NAME`: refused while linked unless `force` (then unlinks first); removes container and volume. */
  async destroy(req: { name: string; force: boolean; user: string }, out: Out): Promise<void> {
    await this.serialized(req.name, async () => {
      const s = await this.require(req.name);
      const live = await this.liveLinks(s);
      if (live.length && !req.force) {
        throw new YbError('YB_ERR_CONFLICT', `${s.name} is linked to ${live.map((l) => l.app).join(', ')}`, {
          hint: `unlink it first (yb services:unlink ${s.name} -a APP), or pass --force`,
        });
      }
      for (const l of live) {
        out(`Unlinking from ${l.app}`);
        await this.unlinkNow({ name: s.name, app: l.app, alias: l.alias, user: req.user }, out);
      }
      if (s.origin === 'provisioned') await this.containers.remove(s.name);
      await this.records.delete(s.name);
      this.log.info({ service: s.name, user: req.user }, 'service destroyed');
    });
  }

  /** `yb services:backup NAME`: a dump written by the service itself into its backup directory; prunes beyond `keep`. */
  async backup(name: string, keep = this.settings.backupRetention): Promise<BackupInfo> {
    return this.serialized(name, async () => {
      const s = await this.require(name);
      const id = await this.requireContainer(s);
      const kind = KINDS[s.kind!];
      const backupId = newBackupId();
      const file = `${backupId}.${kind.ext}`;
      await this.backupFiles.ensureDir(s.name);
      const r = await this.containers.exec(id, kind.backup(s.connection, `/backups/.${file}.partial`));
      if (r.code !== 0) {
        await this.backupFiles.discard(s.name, `.${file}.partial`);
        throw new YbError('YB_ERR_INTERNAL', `backing up ${s.name} failed (exit code ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`);
      }
      await this.backupFiles.commit(s.name, file);
      const pruned = await this.backupFiles.prune(s.name, keep);
      if (pruned.length) this.log.info({ service: s.name, pruned }, 'old backups removed (retention)');
      return this.backupFiles.find(s.name, backupId);
    });
  }

  async backups(name: string): Promise<BackupInfo[]> {
    const s = await this.require(name);
    return this.backupFiles.list(s.name);
  }

  /**
   * After a platform restore (docs/architecture.md §9): the container and a fresh volume of a provisioned service whose
   * record came back without them, with its stored credentials (kept when a restore cut short made them already).
   * Resolves to its newest backup to load (restore()), or null when there is none or it is an attached resource.
   */
  async recreate(name: string): Promise<BackupInfo | null> {
    return this.serialized(name, async () => {
      const s = await this.require(name);
      if (s.origin === 'attached' || !s.kind) return null;
      const newest = async () => (await this.backupFiles.list(s.name)).at(-1) ?? null;
      const existing = await this.containers.find(s.name);
      if (existing) {
        await this.waitHealthy(s, existing);
        return newest();
      }
      const c = s.connection;
      const id = await this.containers.create({
        service: s.name,
        team: s.team,
        image: await this.images.ensure(s.kind, () => undefined),
        port: KINDS[s.kind].port,
        network: await this.containers.network(s.team),
        backupsDir: await this.backupFiles.ensureDir(s.name),
        env: { YB_SERVICE_USER: c.user, YB_SERVICE_PASSWORD: c.password, YB_SERVICE_DB: c.database },
      });
      await this.waitHealthy(s, id);
      return newest();
    });
  }

  /** `yb services:restore NAME BACKUP`: replaces the service's data with the backup's. */
  async restore(name: string, backupId: string): Promise<void> {
    await this.serialized(name, async () => {
      const s = await this.require(name);
      const id = await this.requireContainer(s);
      const b = await this.backupFiles.find(s.name, backupId);
      const kind = KINDS[s.kind!];
      const step = kind.restore(s.connection, `/backups/${b.file}`);
      if (step) {
        const r = await this.containers.exec(id, step);
        if (r.code !== 0)
          throw new YbError(
            'YB_ERR_INTERNAL',
            `restoring ${s.name} from ${b.id} failed (exit code ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`,
          );
      } else {
        // Redis loads its RDB file at start: the entrypoint takes /backups/.restore.rdb in place of the data file.
        await this.backupFiles.stage(s.name, b.file, '.restore.rdb');
        await this.containers.stop(id);
        await this.containers.start(id);
        await this.waitHealthy(s, id);
      }
      this.log.info({ service: s.name, backup: b.id }, 'service restored');
    });
  }
}
