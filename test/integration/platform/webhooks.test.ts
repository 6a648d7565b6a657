// Issue #18 item 6: deploy on push elsewhere. `yb webhooks:enable` gives an app a delivery URL and a secret; signed
// push deliveries in GitHub's, GitLab's and Gitea's shapes are answered 202 at once and the named commit is fetched
// from the configured repository (a real git http-backend on loopback, behind basic auth) and deployed through the
// router. Attacks — bad, missing or another app's signature, a replay, a payload naming another repository, a huge
// body, a wrong content type — are refused with a clear status, recorded, and deploy nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitAll, fixtureRepo, git, startPlatform, type Platform } from '../../helpers/platform.js';
import { rawEtcd } from '../auth/as-user.js';
import { until } from '../../helpers/until.js';
import { startGitRemote, type GitRemote } from './git-remote.js';

const APP = 'hooked';
const OTHER = 'hooked-too';
const HOST = `${APP}.localhost`;
const PASSWORD = 'tok-Webhook7Repo9Secret';
let p: Platform;
let remote: GitRemote;
let work: string;
let src: string;
let hook: { url: string; secret: string };
let otherSecret: string;
let otherUrl: string;

/** The URL and secret `webhooks:enable` / `webhooks:rotate` print. */
function setUp(stdout: string): { url: string; secret: string } {
  const url = /Payload URL:\s+(\S+)/.exec(stdout)?.[1];
  const secret = /Secret:\s+([0-9a-f]{64})/.exec(stdout)?.[1];
  assert.ok(url && secret, stdout);
  return { url, secret };
}

const repoUrl = (name = 'shop') => `${remote.url.replace('//', `//bot:${PASSWORD}@`)}/git/${name}.git`;
const publicUrl = (name = 'shop') => `${remote.url}/git/${name}.git`;

async function commitToRemote(text: string): Promise<string> {
  writeFileSync(join(src, 'public', 'index.html'), text);
  await commitAll(src, text);
  await git(src, ['push', '-q', join(work, 'shop.git'), 'HEAD:main']);
  return execFileSync('git', ['-C', src, 'rev-parse', 'HEAD']).toString().trim();
}

type Provider = 'github' | 'gitlab' | 'gitea';
/** A push payload in the provider's shape. */
function payload(provider: Provider, commit: string, opts: { branch?: string; repo?: string; deleted?: boolean } = {}): string {
  const ref = `refs/heads/${opts.branch ?? 'main'}`;
  const url = opts.repo ?? publicUrl();
  const after = opts.deleted ? '0'.repeat(40) : commit;
  if (provider === 'gitlab')
    return JSON.stringify({
      object_kind: 'push',
      ref,
      before: '0'.repeat(40),
      after,
      checkout_sha: opts.deleted ? null : commit,
      project: { name: 'shop', git_http_url: url, web_url: url.replace(/\.git$/, '') },
      repository: { name: 'shop', git_http_url: url, homepage: url.replace(/\.git$/, '') },
    });
  return JSON.stringify({
    ref,
    before: '0'.repeat(40),
    after,
    deleted: opts.deleted ?? false,
    repository: { full_name: 'acme/shop', clone_url: url, html_url: url.replace(/\.git$/, '') },
    pusher: { name: 'octocat' },
    head_commit: opts.deleted ? null : { id: commit, message: 'change' },
  });
}

/** POSTs a delivery signed the provider's way with `secret` (none when null); `headers` override. */
async function deliver(
  provider: Provider,
  body: string,
  secret: string | null,
  o: { id?: string; event?: string; url?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any; ms: number }> {
  const h: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `${provider}-hookshot/test` };
  const mac = (s: string) => createHmac('sha256', s).update(body).digest('hex');
  const id = o.id ?? randomUUID();
  if (provider === 'github') {
    Object.assign(h, { 'x-github-event': o.event ?? 'push', 'x-github-delivery': id });
    if (secret !== null) h['x-hub-signature-256'] = `sha256=${mac(secret)}`;
  } else if (provider === 'gitea') {
    Object.assign(h, { 'x-gitea-event': o.event ?? 'push', 'x-gitea-delivery': id });
    if (secret !== null) h['x-gitea-signature'] = mac(secret);
  } else {
    Object.assign(h, { 'x-gitlab-event': o.event ?? 'Push Hook', 'x-gitlab-event-uuid': id });
    if (secret !== null) h['x-gitlab-token'] = secret;
  }
  Object.assign(h, o.headers ?? {});
  const started = Date.now();
  const res = await fetch(o.url ?? hook.url, { method: 'POST', headers: h, body });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, ms: Date.now() - started };
}

const releases = async () => JSON.parse((await p.yb(['releases', '-a', APP, '--json'])).stdout) as Array<{ version: number }>;
const deliveries = async () =>
  JSON.parse((await p.yb(['webhooks:deliveries', '-a', APP, '--json'])).stdout) as Array<{
    id: string;
    status: number;
    outcome: string;
    message: string;
    commit?: string;
  }>;
const fetches = () => remote.requests.filter((r) => r.path.endsWith('/git-upload-pack')).length;

before(async () => {
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true', YB_WEBHOOK_MAX_KB: '256' });
  work = mkdtempSync(join(tmpdir(), 'yb-webhooks-'));
  src = await fixtureRepo('dockerfile-hello', work);
  execFileSync('git', ['clone', '-q', '--bare', src, join(work, 'shop.git')]);
  execFileSync('git', ['clone', '-q', '--bare', src, join(work, 'evil.git')]);
  remote = await startGitRemote(work, { user: 'bot', password: PASSWORD });
  await p.yb(['apps:create', APP]);
  await p.yb(['apps:create', OTHER]);
  hook = setUp((await p.yb(['webhooks:enable', '-a', APP, '--repo', repoUrl()])).stdout);
  ({ secret: otherSecret, url: otherUrl } = setUp((await p.yb(['webhooks:enable', '-a', OTHER, '--repo', repoUrl(), '--provider', 'github'])).stdout));
});

after(async () => {
  await remote?.close();
  await p?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a signed GitHub push is answered 202 at once and its commit deployed through the router; ping answered', async () => {
  const shown = (await p.yb(['webhooks', '-a', APP])).stdout;
  assert.match(shown, /github webhook: pushes to main of http:\/\/127\.0\.0\.1:\d+\/git\/shop\.git are deployed/);
  assert.ok(shown.includes(hook.url) && !shown.includes(hook.secret) && !shown.includes(PASSWORD), 'the URL, never the secret or token');

  const ping = await deliver('github', JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), hook.secret, { event: 'ping' });
  assert.deepEqual([ping.status, ping.json.outcome], [200, 'pong']);

  const commit = await commitToRemote('deployed by a GitHub webhook\n');
  const r = await deliver('github', payload('github', commit), hook.secret);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  assert.equal(r.json.commit, commit);
  process.stdout.write(`# webhook answered 202 in ${r.ms} ms\n`);
  await until('the pushed commit served', async () => (await p.fetchApp(HOST)).body === 'deployed by a GitHub webhook\n', 300_000);
  const d = await until('the delivery recorded as deployed', async () => (await deliveries()).find((x) => x.outcome === 'deployed'));
  assert.match(d.message, new RegExp(`from ${commit.slice(0, 7)}`));
  assert.match((await p.yb(['events', '-a', APP, '--json'])).stdout, /webhook\.deploy/);

  // Two pushes in quick succession: deployed in order (or the older one skipped), never the older one last.
  const older = await commitToRemote('older of two quick pushes\n');
  const newer = await commitToRemote('newer of two quick pushes\n');
  const [a, b] = [await deliver('github', payload('github', older), hook.secret), await deliver('github', payload('github', newer), hook.secret)];
  assert.deepEqual([a.status, b.status], [202, 202]);
  const settled = await until(
    'both deliveries settled',
    async () => {
      const list = await deliveries();
      const mine = [older, newer].map((c) => list.find((d) => d.commit === c));
      return mine.every((d) => d && ['deployed', 'superseded', 'failed'].includes(d.outcome)) && mine;
    },
    300_000,
  );
  assert.ok(['deployed', 'superseded'].includes(settled[0]!.outcome), settled[0]!.outcome);
  assert.equal(settled[1]!.outcome, 'deployed');
  assert.equal((await p.fetchApp(HOST)).body, 'newer of two quick pushes\n');
});

test('attacks are refused with a clear status, recorded, and deploy nothing', async () => {
  const commit = await commitToRemote('must never be deployed\n');
  const serving = (await p.fetchApp(HOST)).body;
  const releasesBefore = (await releases()).length;
  const fetchesBefore = fetches();
  const body = payload('github', commit);
  const cases: Array<[string, () => Promise<{ status: number; json: any }>, number, RegExp]> = [
    ['bad signature', () => deliver('github', body, null, { headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }), 401, /signature does not match/],
    ['missing signature', () => deliver('github', body, null), 401, /no X-Hub-Signature-256/],
    ["another app's secret", () => deliver('github', body, otherSecret), 401, /signature does not match/],
    [
      'signature over another body',
      () =>
        deliver('github', payload('github', commit, { branch: 'main ' }), null, {
          headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}` },
        }),
      401,
      /signature does not match/,
    ],
    [
      'payload naming another repository',
      () => deliver('github', payload('github', commit, { repo: publicUrl('evil') }), hook.secret),
      403,
      /names another repository/,
    ],
    ['huge body', () => deliver('github', JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(400 * 1024) }), hook.secret), 413, /./],
    [
      'wrong content type',
      () => deliver('github', `payload=${encodeURIComponent(body)}`, hook.secret, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      /must be JSON/,
    ],
    ['signed but not JSON', () => deliver('github', 'not json {', hook.secret), 400, /not JSON/],
    ['GitLab headers on a GitHub webhook', () => deliver('gitlab', body, hook.secret), 400, /takes GitHub deliveries/],
    ['unknown webhook id', () => deliver('github', body, hook.secret, { url: hook.url.replace(/[0-9a-f]{24}$/, 'f'.repeat(24)) }), 404, /no such webhook/],
    ['unknown app', () => deliver('github', body, hook.secret, { url: hook.url.replace(`/${APP}/`, '/no-such-app/') }), 404, /no such webhook/],
  ];
  for (const [what, send, status, why] of cases) {
    const r = await send();
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    if (status !== 413) assert.match(r.json.message, why, what);
  }
  // Acknowledged and ignored: a push to another branch, a deletion of the deployed branch, another event.
  for (const [what, r] of [
    ['other branch', await deliver('github', payload('github', commit, { branch: 'feature' }), hook.secret)],
    ['branch deleted', await deliver('github', payload('github', commit, { deleted: true }), hook.secret)],
    ['issues event', await deliver('github', '{}', hook.secret, { event: 'issues' })],
  ] as const) {
    assert.deepEqual([r.status, r.json.outcome], [200, 'ignored'], `${what}: ${JSON.stringify(r.json)}`);
  }
  // A replay: the same delivery again, and the same signed body under a new delivery id.
  const past = (await deliveries()).find((x) => x.outcome === 'deployed')!;
  const replayBody = payload('github', commit, { branch: 'feature' });
  const a = await deliver('github', replayBody, hook.secret, { id: past.id });
  assert.equal(a.status, 409, JSON.stringify(a.json));
  assert.match(a.json.message, /received before \(a replay\)/);
  const again = await deliver('github', payload('github', commit, { deleted: true }), hook.secret);
  assert.equal(again.status, 409, 'the same signed body with a new delivery id');

  assert.equal((await releases()).length, releasesBefore, 'no release was made');
  assert.equal(fetches(), fetchesBefore, 'nothing was fetched');
  assert.ok(!remote.requests.some((r) => r.path.includes('evil')), 'the repository named in a payload is never fetched');
  assert.equal((await p.fetchApp(HOST)).body, serving, 'the app keeps serving its release');
  const recorded = await deliveries();
  for (const outcome of ['refused', 'ignored', 'pong', 'deployed'])
    assert.ok(
      recorded.some((d) => d.outcome === outcome),
      outcome,
    );
  assert.ok(recorded.some((d) => d.status === 409 && /replay/.test(d.message)));
  const table = (await p.yb(['webhooks:deliveries', '-a', APP])).stdout;
  assert.match(table, /refused/);
  assert.equal(p.child.exitCode, null, 'ybd is still running');
});

test('GitLab (X-Gitlab-Token) and Gitea (X-Gitea-Signature) pushes deploy; rotate and disable shut the old secret and URL out', async () => {
  setUp((await p.yb(['webhooks:enable', '-a', APP, '--repo', repoUrl(), '--provider', 'gitlab'])).stdout);
  const viaGitlab = await commitToRemote('deployed by a GitLab webhook\n');
  assert.equal((await deliver('gitlab', payload('gitlab', viaGitlab), 'wrong-token')).status, 401);
  const r1 = await deliver('gitlab', payload('gitlab', viaGitlab), hook.secret);
  assert.equal(r1.status, 202, JSON.stringify(r1.json));
  await until('the GitLab push served', async () => (await p.fetchApp(HOST)).body === 'deployed by a GitLab webhook\n', 300_000);

  setUp((await p.yb(['webhooks:enable', '-a', APP, '--repo', repoUrl(), '--provider', 'gitea'])).stdout);
  const viaGitea = await commitToRemote('deployed by a Gitea webhook\n');
  const r2 = await deliver('gitea', payload('gitea', viaGitea), hook.secret);
  assert.equal(r2.status, 202, JSON.stringify(r2.json));
  await until('the Gitea push served', async () => (await p.fetchApp(HOST)).body === 'deployed by a Gitea webhook\n', 300_000);

  // Secret and repository token sealed at rest.
  const etcd = JSON.stringify(await rawEtcd(p, ''));
  assert.ok(!etcd.includes(hook.secret), 'the secret is not in etcd in clear');
  assert.ok(!etcd.includes(PASSWORD), 'the repository token is not in etcd in clear');
  assert.ok(!p.output().includes(PASSWORD) && !p.output().includes(hook.secret), 'neither is logged');

  // A push whose build fails, and a payload naming a commit the repository does not have: recorded as failed, the
  // release serving stays.
  writeFileSync(join(src, 'Dockerfile'), 'FROM yunbang/no-such-base-image:never\n');
  const broken = await commitToRemote('a broken build\n');
  execFileSync('git', ['-C', src, 'checkout', '-q', 'HEAD~1', '--', 'Dockerfile']);
  const missing = 'e'.repeat(40);
  for (const commit of [broken, missing]) {
    assert.equal((await deliver('gitea', payload('gitea', commit), hook.secret)).status, 202);
    const failed = await until(
      `${commit.slice(0, 7)} recorded as failed`,
      async () => (await deliveries()).find((d) => d.commit === commit && d.outcome === 'failed'),
      300_000,
    );
    assert.match(failed.message, commit === missing ? /has no commit e{40}/ : /./);
  }
  assert.equal((await p.fetchApp(HOST)).body, 'deployed by a Gitea webhook\n', 'the previous release keeps serving');
  await commitToRemote('deployed by a Gitea webhook\n');

  // The platform's key rotation re-seals them; the webhook keeps verifying and fetching after it.
  await p.yb(['admin:rotate-key']);
  assert.ok(!JSON.stringify(await rawEtcd(p, '')).includes(hook.secret));
  const resealed = await deliver('gitea', payload('gitea', viaGitea, { branch: 'feature' }), hook.secret);
  assert.deepEqual([resealed.status, resealed.json.outcome], [200, 'ignored'], JSON.stringify(resealed.json));

  const rotated = setUp((await p.yb(['webhooks:rotate', '-a', APP])).stdout);
  assert.equal(rotated.url, hook.url, 'the URL stays');
  assert.notEqual(rotated.secret, hook.secret);
  const late = await commitToRemote('after rotation\n');
  assert.equal((await deliver('gitea', payload('gitea', late), hook.secret)).status, 401, 'the old secret is refused');

  await p.yb(['webhooks:disable', '-a', APP]);
  assert.equal((await deliver('gitea', payload('gitea', late), rotated.secret)).status, 404, 'a disabled webhook is gone');
  assert.match((await p.yb(['webhooks', '-a', APP])).stdout, /has no webhook/);
  assert.equal((await p.fetchApp(HOST)).body, 'deployed by a Gitea webhook\n');

  // Destroying an app removes its webhook: its URL answers 404, and a new app of that name has none.
  await p.yb(['apps:destroy', '-a', OTHER, '--confirm', OTHER]);
  assert.equal((await deliver('github', payload('github', late), otherSecret, { url: otherUrl })).status, 404);
  await p.yb(['apps:create', OTHER]);
  assert.match((await p.yb(['webhooks', '-a', OTHER])).stdout, /has no webhook/);
  assert.equal((await deliver('github', payload('github', late), otherSecret, { url: otherUrl })).status, 404);
});
