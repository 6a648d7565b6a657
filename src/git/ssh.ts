// Git over SSH (ssh2): public-key authentication mapped to a user through keys/<fingerprint>, and only
// `git-receive-pack '/<app>.git'` / `git-upload-pack '/<app>.git'` exec requests, authorised per app exactly
// as over HTTP. git runs as in src/git/http.ts, so the pre-receive hook deploys and streams "remote:" lines.
// No shells, no port forwarding, no other commands.
import { spawn } from 'node:child_process';
import ssh2 from 'ssh2';
import type { Store } from '../store/store.js';
import type { AppRecords } from '../release/app-records.js';
import type { Logger } from '../shared/logger.js';
import type { TeamRecord, User } from '../auth/tokens.js';
import { may, roleIn, type Action } from '../auth/access.js';
import { keyForBlob } from '../auth/ssh-keys.js';
import { getUser } from '../auth/users.js';
import { recordEvent } from '../auth/audit.js';
import { ensureRepo } from './repos.js';
import { currentName, type FormerName } from '../release/rename-plan.js';
import { ensureHostKey } from './host-key.js';
import { endGroup } from './end-group.js';

export interface GitSshDeps {
  store: Store;
  apps: AppRecords;
  dataDir: string;
  hookUrl: string;
  hookSecret: string;
  log: Logger;
  maxPushBytes?: number;
  /** Whether the app is a pipeline's review parent: its hook then deploys other branches as review apps. */
  reviewParent?(app: string): Promise<boolean>;
}

export interface GitSshServer {
  port: number;
  close(): Promise<void>;
}

const MAX_AUTH_FAILURES = 6;

/** `git-receive-pack '/hello.git'` → { service, app }; null for anything else. Pure. */
export function parseGitCommand(command: string): { service: 'git-receive-pack' | 'git-upload-pack'; app: string } | null {
  const m = /^(git-receive-pack|git-upload-pack) '\/?([a-z0-9-]{1,64})\.git\/?'$/.exec(command.trim());
  return m ? { service: m[1] as 'git-receive-pack' | 'git-upload-pack', app: m[2]! } : null;
}

async function allowed(deps: GitSshDeps, user: User, app: string, action: Action): Promise<boolean> {
  const rec = await deps.apps.getApp(app);
  if (!rec) return false;
  return may(roleIn(user, await deps.store.get<TeamRecord>(deps.store.keys.team(rec.team))), action);
}

/** The new name of an app renamed away from `app` (apps:rename) that `user` may read; null otherwise. */
async function renamedTo(deps: GitSshDeps, user: User, app: string): Promise<string | null> {
  const prefix = deps.store.keys.formerNamesPrefix();
  const former = await deps.store.list<FormerName>(prefix);
  const to = currentName(app, new Map(former.map((e) => [e.key.slice(prefix.length), e.value.to])));
  return to && (await allowed(deps, user, to, 'read')) ? to : null;
}

export async function startGitSsh(addr: { host: string; port: number }, deps: GitSshDeps): Promise<GitSshServer> {
  const hostKey = await ensureHostKey(deps.dataDir, deps.log);
  const maxPush = deps.maxPushBytes ?? 512 * 1024 * 1024;

  const server = new ssh2.Server({ hostKeys: [hostKey], ident: 'Yunbang' }, (client, info) => {
    let user: User | null = null;
    let failures = 0;
    client.on('error', (err) => deps.log.debug({ err: err.message, ip: info.ip }, 'ssh client error'));

    client.on('authentication', (ctx) => {
      const reject = () => {
        if (++failures >= MAX_AUTH_FAILURES) client.end();
        else ctx.reject(['publickey']);
      };
      if (ctx.method !== 'publickey') return reject();
      void (async () => {
        const rec = await keyForBlob(deps.store, ctx.key.data);
        if (!rec) return reject();
        const parsed = ssh2.utils.parseKey(rec.publicKey);
        if (parsed instanceof Error || Array.isArray(parsed)) return reject();
        if (ctx.signature && ctx.blob && parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return reject();
        const u = await getUser(deps.store, rec.user);
        if (!u) return reject();
        user = u;
        ctx.accept();
      })().catch((err: unknown) => {
        deps.log.warn({ err: (err as Error).message }, 'ssh authentication failed with an error');
        reject();
      });
    });

    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let gitProtocol: string | undefined;
        session.on('env', (accept, reject, e) => {
          if (e.key === 'GIT_PROTOCOL' && /^[a-z0-9=:._-]{1,64}$/i.test(e.val)) {
            gitProtocol = e.val;
            accept?.();
          } else reject?.();
        });
        session.on('pty', (_a, reject) => reject?.());
        session.on('shell', (accept) => {
          const ch = accept();
          ch.stderr.write(`Hi ${user?.name ?? 'there'}! Yunbang provides git over SSH only: git push ssh://git@host:port/<app>.git main\r\n`);
          ch.exit(1);
          ch.end();
        });
        session.on('exec', (accept, _reject, e) => {
          const ch = accept();
          const cmd = parseGitCommand(e.command);
          const fail = (msg: string, code = 128) => {
            ch.stderr.write(`fatal: ${msg}\n`);
            ch.exit(code);
            ch.end();
          };
          if (!cmd) return fail("only git-receive-pack and git-upload-pack of '/<app>.git' are served here", 1);
          const current = user;
          if (!current) return fail('not authenticated');
          void (async () => {
            const action: Action = cmd.service === 'git-receive-pack' ? 'deploy' : 'read';
            if (!(await allowed(deps, current, cmd.app, action))) {
              const to = await renamedTo(deps, current, cmd.app);
              return fail(to ? `app ${cmd.app} was renamed to ${to}; point your remote at '/${to}.git'` : `repository '${cmd.app}.git' not found`);
            }
            const dir = await ensureRepo(deps.dataDir, cmd.app);
            if (cmd.service === 'git-receive-pack') {
              const app = await deps.apps.getApp(cmd.app);
              if (app)
                await recordEvent(
                  deps.store,
                  { team: app.team, user: current.name, app: app.name, action: 'git.push', ip: info.ip, detail: { via: 'ssh' } },
                  deps.log,
                );
            }
            const env: NodeJS.ProcessEnv = {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              YB_HOOK_URL: deps.hookUrl,
              YB_HOOK_SECRET: deps.hookSecret,
              YB_APP: cmd.app,
              YB_USER: current.name,
            };
            if (gitProtocol) env.GIT_PROTOCOL = gitProtocol;
            if (cmd.service === 'git-receive-pack' && (await deps.reviewParent?.(cmd.app))) env.YB_REVIEW_APPS = '1';
            // Its own process group, ended when the pusher goes away (a queued build leaves the queue; end-group.ts).
            const child = spawn('git', [cmd.service.slice(4), dir], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
            ch.once('close', () => {
              if (child.pid && child.exitCode === null && child.signalCode === null) endGroup(child.pid);
            });
            let received = 0;
            ch.on('data', (chunk: Buffer) => {
              received += chunk.length;
              if (cmd.service === 'git-receive-pack' && received > maxPush) {
                ch.stderr.write(`fatal: push larger than the limit of ${maxPush} bytes\n`);
                child.kill('SIGTERM');
              }
            });
            ch.pipe(child.stdin);
            child.stdin.on('error', () => undefined); // git exits early on bad input; its output says why
            child.stdout.pipe(ch, { end: false });
            child.stderr.pipe(ch.stderr, { end: false });
            child.on('error', (err) => fail(`could not run git: ${err.message}`, 1));
            child.on('close', (code) => {
              ch.exit(code ?? 1);
              ch.end();
            });
          })().catch((err: unknown) => {
            deps.log.error({ err, app: cmd.app }, 'git over ssh failed');
            fail('internal error; see the platform log', 1);
          });
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err: Error) => deps.log.error({ err }, 'ssh server error'));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    // Open sessions (a push in progress) get a moment to finish; shutdown does not wait for idle clients.
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
