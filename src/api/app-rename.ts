// `yb apps:rename OLD NEW` (docs/architecture.md §3.1): moves an app and everything that names it to a new name in the
// app's deploy queue (never beside a deploy), with a journal (`locks/rename/<new>`) so that a control-plane crash
// part-way is undone (before the switch) or finished (after it) by the next start. The pure plan is release/rename-plan.ts.
import { existsSync } from 'node:fs';
import { mkdir, rename as move } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ApiContext } from './context.js';
import type { AppRecord } from '../release/app-records.js';
import { checkAppName } from '../release/names.js';
import {
  appPrefixes,
  cutover,
  currentName,
  dependentConfigPatch,
  movedKey,
  movedValue,
  type FormerName,
  type RenameJournal,
  type Reseal,
} from '../release/rename-plan.js';
import { openFor, sealFor } from '../auth/secrets.js';
import type { Sealed } from '../shared/sealed.js';
import { YbError } from '../shared/errors.js';
import { repoPath } from '../git/repos.js';
import { platformEvent } from '../logs/platform-events.js';
import { eventsPrefix, type AuditEvent } from '../auth/audit.js';
import type { EndpointRecord, RouteRecord } from '../store/keys.js';
import type { DepRecord } from '../services/records.js';

export type RenameDeps = Pick<ApiContext, 'store' | 'apps' | 'deployer' | 'scheduler' | 'runtime' | 'dataDir' | 'domain' | 'log' | 'logs' | 'metrics'>;
type Out = (line: string) => void;

/** Keys per etcd transaction while copying (etcd's default limit is 128 operations). */
const BATCH = 64;

/** Why `to` cannot be `app`'s new name, as one sentence; null when it can. `to` is already a valid app name. */
async function refusal(ctx: RenameDeps, app: AppRecord, to: string): Promise<YbError | null> {
  const k = ctx.store.keys;
  if ((await ctx.store.get(k.app(to))) || (await ctx.store.get(k.renameJournal(to))))
    return new YbError('YB_ERR_APP_EXISTS', `an app named "${to}" already exists`);
  // Its default host would take over a custom domain of some app (which one is not said: it may be another team's).
  if (await ctx.store.get(k.route(`${to}.${ctx.domain}`)))
    return new YbError('YB_ERR_CONFLICT', `${to}.${ctx.domain} is already a domain of an app, so "${to}" cannot be an app name`);
  // Apps and services of a team share names on the team network (services/bindings.ts).
  const service = await ctx.store.get<{ team: string }>(k.service(to));
  if (service && service.team === app.team)
    return new YbError('YB_ERR_CONFLICT', `team "${app.team}" has a service named "${to}", and apps and services of a team share names on its network`);
  return null;
}

/** A secret sealed for the old name, sealed again for the new one (the name is its associated data). */
function resealer(ctx: RenameDeps): Reseal {
  return (s, was, next) => sealFor(ctx.store, openFor(ctx.store, s, was), next) as Sealed;
}

/**
 * Renames `app` to `to`: refuses an invalid, taken or reserved name in one sentence, then copies the app's keys, switches
 * in one transaction (routes, endpoints, links, certificates, dependencies), waits until every router serves the new
 * default host, and finishes (files, logs, processes under the new name, dependents' config, old processes retired).
 */
export async function renameApp(ctx: RenameDeps, appName: string, to: string, by: string, out: Out): Promise<AppRecord> {
  checkAppName(to);
  if (to === appName) throw new YbError('YB_ERR_BAD_REQUEST', `${appName} already has that name`);
  return ctx.deployer.exclusive(appName, () =>
    ctx.deployer.exclusive(to, async () => {
      const app = await ctx.apps.requireApp(appName);
      const refused = await refusal(ctx, app, to);
      if (refused) throw refused;
      const k = ctx.store.keys;
      const journal: RenameJournal = { from: app.name, to, team: app.team, by, phase: 'copying', startedAt: new Date().toISOString() };
      if ((await ctx.store.commitIf({ absent: [k.app(to), k.renameJournal(to)] }, [{ key: k.renameJournal(to), value: journal }])) === null)
        throw new YbError('YB_ERR_APP_EXISTS', `an app named "${to}" already exists`);
      try {
        await copyKeys(ctx, app.name, to);
        await switchOver(ctx, journal);
      } catch (err) {
        await undo(ctx, journal);
        throw err;
      }
      out(`Renamed ${app.name} to ${to}; ${to}.${ctx.domain} serves it`);
      return finish(ctx, journal, out);
    }),
  );
}

/** Writes every key of the app under the new name (invisible: there is no app record of that name yet). */
async function copyKeys(ctx: RenameDeps, from: string, to: string): Promise<void> {
  const k = ctx.store.keys;
  const reseal = resealer(ctx);
  for (const prefix of appPrefixes(k, from)) {
    const entries = await ctx.store.list<unknown>(prefix);
    for (let i = 0; i < entries.length; i += BATCH) {
      const puts = entries.slice(i, i + BATCH).map((e) => ({ key: movedKey(k, e.key, from, to)!, value: movedValue(e.value, from, to, reseal) }));
      await ctx.store.commit(puts);
    }
  }
}

/** The one transaction of the rename (rename-plan.ts `cutover`); then waits for every live router to apply it. */
async function switchOver(ctx: RenameDeps, journal: RenameJournal): Promise<void> {
  const { store } = ctx;
  const k = store.keys;
  const { from, to } = journal;
  const app = await store.getEntry<Record<string, unknown>>(k.app(from));
  if (!app) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${from}"`);
  const deps: Array<{ key: string; value: DepRecord }> = [];
  for (const a of await ctx.apps.listApps()) if (a.name !== from) deps.push(...(await store.list<DepRecord>(`${k.app(a.name)}/deps/`)));
  const plan = cutover(k, {
    from,
    to,
    domain: ctx.domain,
    app: app.value,
    routes: await store.list<RouteRecord>(k.routesPrefix()),
    endpoints: await store.list<EndpointRecord>(k.endpointsPrefix(from)),
    services: await store.list<{ links?: Array<{ app: string }> }>(k.servicesPrefix()),
    certs: await store.list<{ app?: string }>(k.certsPrefix()),
    deps,
    pipelines: await store.list<{ apps: Record<string, string>; reviewApps?: { parent: string } }>(k.pipelinesPrefix()),
    reviewApps: await store.list<{ app: string; parent: string }>(k.reviewAppsPrefix()),
    journal,
    at: new Date().toISOString(),
  });
  const revision = await store.commitIf(
    { absent: [k.app(to), k.route(`${to}.${ctx.domain}`)], unchanged: [{ key: k.app(from), modRevision: app.modRevision }] },
    plan.puts,
    plan.deletes,
  );
  if (revision === null) throw new YbError('YB_ERR_CONFLICT', `${from} or the name "${to}" changed while renaming; nothing was renamed, try again`);
  await ctx.scheduler.waitForRouters(revision);
}

/** Before the switch: the copies go, the app keeps its old name. */
async function undo(ctx: RenameDeps, journal: RenameJournal): Promise<void> {
  const k = ctx.store.keys;
  // The journal reserved the new name, so nothing else wrote under it.
  if (!(await ctx.store.get(k.app(journal.to)))) for (const prefix of appPrefixes(k, journal.to)) await ctx.store.deletePrefix(prefix);
  await ctx.store.delete(k.renameJournal(journal.to));
  ctx.log.info({ from: journal.from, to: journal.to }, 'an unfinished rename was undone');
}

/** Moves `from` to `to` unless `to` exists already (a finish that ran before). */
async function moveFile(from: string, to: string): Promise<void> {
  if (!existsSync(from) || existsSync(to)) return;
  await mkdir(dirname(to), { recursive: true });
  await move(from, to);
}

/**
 * After the switch, every step safe to run again (a crash mid-way runs it again at the next start): the old keys and
 * files go, image tags, logs and drains follow the name, the processes are re-created under the new name by the
 * zero-downtime rollout (docs/architecture.md §5), dependent apps get the new host in their config, and only then are
 * the processes of the old name withdrawn and stopped.
 */
async function finish(ctx: RenameDeps, journal: RenameJournal, out: Out): Promise<AppRecord> {
  const { store, runtime, scheduler } = ctx;
  const k = store.keys;
  const { from, to } = journal;
  for (const prefix of appPrefixes(k, from)) await store.deletePrefix(prefix);
  await store.delete(k.deployLock(from));
  await moveFile(repoPath(ctx.dataDir, from), repoPath(ctx.dataDir, to));
  await moveFile(join(ctx.dataDir, 'cache', from), join(ctx.dataDir, 'cache', to));
  await moveFile(join(ctx.dataDir, 'builds', from), join(ctx.dataDir, 'builds', to));
  await ctx.logs?.renameApp(from, to);
  ctx.metrics?.sampler.forget(from);
  await renameEvents(ctx, journal);
  const app = await ctx.apps.requireApp(to);
  for (const r of await ctx.apps.listReleases(to)) await retag(ctx, from, to, r.image);
  const release = await ctx.apps.getRelease(to, app.currentRelease);
  if (release && !app.stopped) {
    out(`Starting the processes of v${release.version} under the new name`);
    await scheduler.rollout(app, release, (l) => out(`       ${l}`));
  }
  for (const other of await ctx.apps.listApps()) {
    const dep = await store.get<DepRecord>(`${k.app(other.name)}/deps/${to}`);
    if (!dep) continue;
    const patch = dependentConfigPatch(await ctx.apps.getConfig(other.name), dep.keys, from, to);
    if (Object.keys(patch).length === 0) continue;
    out(`${other.name} depends on it: its ${Object.keys(patch).join(', ')} now name ${to}`);
    await ctx.deployer.changeConfig(other.name, patch, journal.by, () => undefined);
  }
  const old = await runtime.listProcesses({ kind: 'process', app: from });
  if (old.length) {
    const ids = new Set(old.map((c) => c.id));
    const stale = (await store.list<EndpointRecord>(k.endpointsPrefix(to))).filter((e) => ids.has(e.value.container)).map((e) => e.key);
    if (stale.length) await scheduler.waitForRouters(await store.commit([], stale));
    out(`Stopping ${old.length} process${old.length > 1 ? 'es' : ''} of the old name`);
    await Promise.all(old.map((c) => runtime.stopProcess(c.id, scheduler.stopGraceSeconds)));
  }
  // Lines the old processes wrote while they stopped join the history under the new name.
  await ctx.logs?.renameApp(from, to);
  await store.delete(k.renameJournal(to));
  platformEvent(to, 'deploy', `Renamed from ${from} by ${journal.by}`);
  ctx.log.info({ from, to, user: journal.by }, 'app renamed');
  return ctx.apps.requireApp(to);
}

/** The app's audit events (`yb events -a`) name the new name: the history goes with the app. */
async function renameEvents(ctx: RenameDeps, { from, to, team }: RenameJournal): Promise<void> {
  const mine = (await ctx.store.list<AuditEvent>(eventsPrefix(ctx.store, team))).filter((e) => e.value.app === from);
  for (let i = 0; i < mine.length; i += BATCH) await ctx.store.commit(mine.slice(i, i + BATCH).map((e) => ({ key: e.key, value: { ...e.value, app: to } })));
}

/** The image of a release built under the old name gets its tag under the new one (release retention removes by it). */
async function retag(ctx: RenameDeps, from: string, to: string, image: string): Promise<void> {
  if (!image.startsWith(`yunbang-app/${to}:`)) return;
  const oldTag = `yunbang-app/${from}:${image.slice(`yunbang-app/${to}:`.length)}`;
  if (!(await ctx.runtime.images.exists(oldTag))) return;
  await ctx.runtime.images.tag(oldTag, image);
  await ctx.runtime.images.remove(oldTag);
}

/** At start, before the reconcile: each rename a crash cut short is undone (before its switch) or finished (after). */
export async function finishInterruptedRenames(ctx: RenameDeps): Promise<void> {
  for (const e of await ctx.store.list<RenameJournal>(ctx.store.keys.renameJournalsPrefix())) {
    const j = e.value;
    try {
      if (j.phase === 'copying') await undo(ctx, j);
      else {
        ctx.log.info({ from: j.from, to: j.to }, 'finishing an interrupted rename');
        await ctx.deployer.exclusive(j.to, () => finish(ctx, j, (l) => ctx.log.info({ app: j.to }, l)));
      }
    } catch (err) {
      ctx.log.error({ err, from: j.from, to: j.to }, 'an interrupted rename could not be completed; the next start tries again');
    }
  }
}

/** A rename of `from` that stopped after its switch (its processes could not start, say), to be finished now; null when none. */
export async function unfinishedRename(ctx: RenameDeps, from: string): Promise<RenameJournal | null> {
  for (const e of await ctx.store.list<RenameJournal>(ctx.store.keys.renameJournalsPrefix()))
    if (e.value.from === from && e.value.phase === 'switched') return e.value;
  return null;
}

/** Runs `finish` again for a rename that stopped after its switch. */
export function finishRename(ctx: RenameDeps, journal: RenameJournal, out: Out): Promise<AppRecord> {
  return ctx.deployer.exclusive(journal.from, () => ctx.deployer.exclusive(journal.to, () => finish(ctx, journal, out)));
}

/** Where the app once named `name` lives now (following renames); null when it never had that name. */
export async function renamedTo(ctx: Pick<RenameDeps, 'store'>, name: string): Promise<string | null> {
  const k = ctx.store.keys;
  const all = await ctx.store.list<FormerName>(k.formerNamesPrefix());
  return currentName(name, new Map(all.map((e) => [e.key.slice(k.formerNamesPrefix().length), e.value.to])));
}
