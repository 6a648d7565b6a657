// POST /apps/{app}/git-syncs (`yb git:sync URL [REF]`, Dokku's git:sync): fetch a commit of a remote repository and
// deploy it with the output streamed like a push (docs/architecture.md §4.1). syncDeploy is also how webhooks deploy.
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { streamDeploy } from '../deploy-stream.js';
import { archiveCommit, checkRef, fetchCommit, parseRemote, recordInAppRepo, type Remote, type SyncLimits } from '../../git/sync.js';
import { ensureRepo } from '../../git/repos.js';
import { recordEvent } from '../../auth/audit.js';
import type { ReleaseRecord } from '../../release/app-records.js';

/** Defaults when the context has none (the API document generated without a platform). */
const DEFAULT_LIMITS: SyncLimits = { maxBytes: 512 * 1024 * 1024, timeoutMs: 300_000, allowPrivate: false };

/** Fetches `ref` of `remote` and deploys that commit through the app's deploy queue; the app's repo then holds it as main. */
export async function syncDeploy(
  ctx: ApiContext,
  req: { app: string; remote: Remote; ref: string; branch?: string; user: string },
  out: (line: string) => void,
): Promise<ReleaseRecord> {
  const fetched = await fetchCommit(req.remote, req.ref, ctx.gitSync ?? DEFAULT_LIMITS, join(ctx.dataDir, 'git-sync'), out, req.branch);
  try {
    const source = archiveCommit(fetched.dir, fetched.commit);
    source.on('error', () => undefined); // the build reads this stream and reports its error
    const rel = await ctx.deployer.deploySource({ app: req.app, source, commit: fetched.commit, user: req.user }, out);
    await recordInAppRepo(await ensureRepo(ctx.dataDir, req.app), fetched).catch((err: unknown) =>
      ctx.log.warn({ err, app: req.app }, 'the synced commit could not be recorded in the app repository'),
    );
    return rel;
  } finally {
    await fetched.close();
  }
}

export function registerGitSync(api: FastifyInstance, ctx: ApiContext): void {
  api.post(
    '/apps/:app/git-syncs',
    {
      schema: {
        summary:
          'Fetch a branch, tag or commit (default: the remote HEAD) of a remote git repository (http, https or git://) and deploy it; streams the output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
        params: appParams,
        body: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: { url: { type: 'string', minLength: 1, maxLength: 2048 }, ref: { type: 'string', maxLength: 200 } },
        },
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'deploy');
      const { url, ref = '' } = req.body as { url: string; ref?: string };
      const remote = parseRemote(url); // a bad URL or ref is a 400 before anything streams
      if (ref) checkRef(ref);
      const user = currentUser(req).name;
      void recordEvent(ctx.store, { team: app.team, user, action: 'git.sync', app: app.name, ip: req.ip, detail: { repo: remote.shown, ref } }, ctx.log);
      await streamDeploy(ctx, reply, app.name, (out) => syncDeploy(ctx, { app: app.name, remote, ref, user }, out));
    },
  );
}
