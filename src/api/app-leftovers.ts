// What an app leaves outside its own etcd records, and how destroying it removes that: routes and certificates
// naming it, other apps' dependency records on it, its yb run and one-off containers, its metrics, and its files
// under $YB_DATA_DIR (git repository, buildpack cache, build logs, unfinished build dirs, log file). A new app of
// the same name, maybe another team's, must inherit none of it: a cache is mounted into the next build, so a planted
// file would run in the new owner's build.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiContext } from './context.js';
import type { CleanupStep } from '../deploy/pipeline.js';
import { routesOfApp } from './app-routes.js';
import { removeRepo } from '../git/repos.js';
import { renewalStateKey } from '../certs/renewal-policy.js';
import { depKey } from '../services/records.js';
import { PipelineRecords } from '../pipelines/pipeline-records.js';

/** The app's files under the data dir; removing absent ones is fine. */
export async function removeAppFiles(ctx: Pick<ApiContext, 'dataDir' | 'logs'>, app: string): Promise<void> {
  await removeRepo(ctx.dataDir, app);
  await rm(join(ctx.dataDir, 'cache', app), { recursive: true, force: true });
  await rm(join(ctx.dataDir, 'builds', app), { recursive: true, force: true });
  // Build work dirs are <app>-<build id>; build ids have no dash, so another app "<app>-x" never matches.
  const work = join(ctx.dataDir, 'work');
  const mine = new RegExp(`^${app}-[a-z0-9]+$`);
  for (const name of await readdir(work).catch(() => [] as string[])) if (mine.test(name)) await rm(join(work, name), { recursive: true, force: true });
  ctx.logs?.forgetApp(app);
}

/** The parts of destroying `app` that the deployer does not own, each a separate step (one failing does not stop the others). */
export function appCleanup(ctx: ApiContext, app: string): CleanupStep[] {
  const k = ctx.store.keys;
  return [
    {
      what: 'removing its routes',
      run: async () => {
        for (const r of await routesOfApp(ctx.store, app)) await ctx.store.delete(r.key);
      },
    },
    {
      what: 'removing its certificates',
      run: async () => {
        const prefix = k.certsPrefix();
        for (const c of await ctx.store.list<{ app?: string }>(prefix)) {
          if (c.value.app !== app) continue;
          await ctx.store.delete(c.key);
          await ctx.store.delete(renewalStateKey(k.prefix, c.key.slice(prefix.length)));
        }
      },
    },
    {
      what: "removing other apps' dependencies on it",
      run: async () => {
        for (const other of await ctx.apps.listApps()) if (other.name !== app) await ctx.store.delete(depKey(k, other.name, app));
      },
    },
    {
      // The scheduler stops the app's processes; `yb run` sessions and one-off (release phase) containers are not
      // processes, and one still running would keep the app's code and config after the app is gone.
      what: 'stopping its yb run and one-off containers',
      run: async () => {
        for (const c of await ctx.runtime.listProcesses({ app })) await ctx.runtime.stopProcess(c.id, 1);
      },
    },
    {
      // A review app's own record stays: its services go with it (src/pipelines/review-apps.ts sweeps it).
      what: 'removing it from its pipeline',
      run: () => new PipelineRecords(ctx.store).uncouple(app),
    },
    { what: 'forgetting its metrics', run: async () => ctx.metrics?.sampler.forget(app) },
    { what: 'removing its git repository, build cache, build logs and log file', run: () => removeAppFiles(ctx, app) },
  ];
}
