// App-to-app dependencies: `yb deps:add OTHER -a APP` gives APP the address of OTHER's web processes on the
// team network (Docker DNS alias OTHER, which follows OTHER's rollouts) as OTHER_URL/_HOST/_PORT, in a new
// release. Only within a team; cycles are allowed and reported.
import type { Store } from '../store/store.js';
import type { AppRecords, AppRecord } from '../release/app-records.js';
import type { Deployer, Out } from '../deploy/pipeline.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { depVars } from './bindings.js';
import { cyclesThrough } from './dep-graph.js';
import { depKey, depsPrefix, type DepRecord } from './records.js';

export const DEFAULT_WEB_PORT = 5000;

export interface DepsView {
  app: string;
  deps: Array<DepRecord & { vars: Record<string, string> }>;
  /** Apps of the team that depend on this one. */
  dependents: string[];
  /** Dependency cycles through this app, e.g. [["a", "b", "a"]]. */
  cycles: string[][];
}

export class DepsManager {
  constructor(
    private readonly store: Store,
    private readonly apps: AppRecords,
    private readonly deployer: Deployer,
    private readonly log: Logger,
  ) {}

  private async depsOf(app: string): Promise<DepRecord[]> {
    return (await this.store.list<DepRecord>(depsPrefix(this.store.keys, app))).map((e) => e.value);
  }

  /** The port OTHER's web processes listen on inside their containers (its current release's, else the default). */
  private async webPort(other: AppRecord): Promise<number> {
    const rel = await this.apps.getRelease(other.name, other.currentRelease);
    return rel?.port ?? DEFAULT_WEB_PORT;
  }

  async view(appName: string): Promise<DepsView> {
    const app = await this.apps.requireApp(appName);
    const team = (await this.apps.listApps()).filter((a) => a.team === app.team);
    const edges = new Map<string, string[]>();
    for (const a of team)
      edges.set(
        a.name,
        (await this.depsOf(a.name)).map((d) => d.other),
      );
    const deps = await this.depsOf(app.name);
    const withVars = [];
    for (const d of deps) {
      const other = await this.apps.getApp(d.other);
      withVars.push({ ...d, vars: other ? depVars(d.other, await this.webPort(other)) : {} });
    }
    return {
      app: app.name,
      deps: withVars,
      dependents: [...edges]
        .filter(([, to]) => to.includes(app.name))
        .map(([from]) => from)
        .sort(),
      cycles: cyclesThrough(app.name, edges),
    };
  }

  async add(req: { app: string; other: string; user: string }, out: Out): Promise<{ dep: DepRecord; release?: number; cycles: string[][] }> {
    const app = await this.apps.requireApp(req.app);
    const other = await this.apps.getApp(req.other);
    if (!other || other.team !== app.team)
      throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${req.other.slice(0, 64)}" in team ${app.team}; dependencies stay within a team`);
    if (other.name === app.name) throw new YbError('YB_ERR_BAD_REQUEST', 'an app cannot depend on itself');
    const vars = depVars(other.name, await this.webPort(other));
    const config = await this.apps.getConfig(app.name);
    const clash = Object.keys(vars).filter((k) => k in config);
    const dep: DepRecord = { app: app.name, other: other.name, keys: Object.keys(vars), createdAt: new Date().toISOString(), createdBy: req.user };
    if (!(await this.store.create(depKey(this.store.keys, app.name, other.name), dep)))
      throw new YbError('YB_ERR_CONFLICT', `${app.name} already depends on ${other.name}`);
    if (clash.length) out(`Replacing config vars ${clash.join(', ')} with the dependency's`);
    // A failed rollout leaves the config stored and the dependency recorded, so deps:remove can undo both.
    const result = await this.deployer.changeConfig(app.name, vars, req.user, out);
    this.log.info({ app: app.name, other: other.name }, 'dependency added');
    return { dep, release: result.release?.version, cycles: (await this.view(app.name)).cycles };
  }

  async remove(req: { app: string; other: string; user: string }, out: Out): Promise<{ removed: string[]; release?: number }> {
    const app = await this.apps.requireApp(req.app);
    const key = depKey(this.store.keys, app.name, req.other);
    const dep = await this.store.get<DepRecord>(key);
    if (!dep) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} does not depend on ${req.other.slice(0, 64)}`);
    const result = await this.deployer.changeConfig(app.name, Object.fromEntries(dep.keys.map((k) => [k, null])), req.user, out);
    await this.store.delete(key);
    this.log.info({ app: app.name, other: req.other }, 'dependency removed');
    return { removed: dep.keys, release: result.release?.version };
  }
}
