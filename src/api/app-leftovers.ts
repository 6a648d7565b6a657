// What an app leaves outside its own etcd records, and how destroying it removes that: routes and certificates
// naming it, its git repository and its log file.
import type { ApiContext } from './context.js';
import type { CleanupStep } from '../deploy/pipeline.js';
import type { RouteRecord } from '../store/keys.js';
import { removeRepo } from '../git/repos.js';

/** The app's files under the data dir; removing absent ones is fine. */
export async function removeAppFiles(ctx: Pick<ApiContext, 'dataDir' | 'logs'>, app: string): Promise<void> {
  await removeRepo(ctx.dataDir, app);
  ctx.logs?.forgetApp(app);
}

/** The parts of destroying `app` that the deployer does not own, each a separate step (one failing does not stop the others). */
export function appCleanup(ctx: ApiContext, app: string): CleanupStep[] {
  const k = ctx.store.keys;
  return [
    {
      what: 'removing its routes',
      run: async () => {
        for (const r of await ctx.store.list<RouteRecord>(k.routesPrefix())) if (r.value.app === app) await ctx.store.delete(r.key);
      },
    },
    {
      what: 'removing its certificates',
      run: async () => {
        const prefix = k.certsPrefix();
        for (const c of await ctx.store.list<{ app?: string }>(prefix)) {
          if (c.value.app !== app) continue;
          await ctx.store.delete(c.key);
        }
      },
    },
    { what: 'removing its git repository and log file', run: () => removeAppFiles(ctx, app) },
  ];
}
