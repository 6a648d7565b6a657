// Issue #18 item 5: review apps. With review apps on for a pipeline, a push of a branch other than main to the
// review parent creates `<parent>-<branch>` in the pipeline's team with app.json environments.review's config and a
// Redis service of its own, served through the router; a later push redeploys it; deleting the branch destroys it
// and its service. Hostile branch names (query injection, main lookalikes, unicode, too long, a name taken by
// another app) never reach another app. `yb reviewapps:create` makes one from a branch pushed earlier, and review
// apps idle past the pipeline's idle time (a test-short one here) are destroyed with their services.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { makeKey, sshEnv, sshUrl } from '../auth/as-user.js';

let p: Platform;
let repo = '';
let remote = '';

const SERVER = `// Answers its release and GREETING at /, and Redis's answer to PING (AUTH first) at /redis.
const http = require('http');
const net = require('net');
function ping() {
  return new Promise((resolve, reject) => {
    const u = new URL(process.env.REDIS_URL || 'redis://none:1');
    const s = net.connect(Number(u.port), u.hostname);
    const cmd = (a) => '*' + a.length + '\\r\\n' + a.map((x) => '$' + Buffer.byteLength(x) + '\\r\\n' + x + '\\r\\n').join('');
    let buf = '';
    s.on('error', reject);
    s.on('connect', () => s.write(cmd(['AUTH', decodeURIComponent(u.username || 'default'), decodeURIComponent(u.password)]) + cmd(['PING'])));
    s.on('data', (d) => { buf += d; if (buf.split('\\r\\n').length > 2) { s.end(); resolve(buf.split('\\r\\n')[1]); } });
  });
}
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  if (req.url === '/redis') return ping().then((r) => res.end(r), (e) => res.end('error ' + e.message));
  res.end(('ok ' + process.env.YB_RELEASE + ' ' + (process.env.GREETING || '') + ' ' + (process.env.EDITION || '')).trim());
});
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); });
`;

const APP_JSON = {
  env: { GREETING: { value: 'parent' } },
  environments: { review: { env: { GREETING: 'review' }, addons: ['heroku-redis'] } },
};

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // a streamed text answer
  }
  return { status: res.status, json };
}

const reviewApps = async () => (await api('GET', '/pipelines/web-pipe/review-apps')).json as Array<{ app: string; branch: string; services: string[] }>;

async function pushBranch(branch: string, change: string): Promise<{ code: number; output: string }> {
  await git(repo, ['checkout', '-q', '-B', branch, 'main']);
  writeFileSync(join(repo, 'CHANGE'), change);
  await commitAll(repo, `change ${change}`);
  const r = await git(repo, ['push', '-f', remote, `HEAD:refs/heads/${branch}`]);
  await git(repo, ['checkout', '-q', 'main']);
  return r;
}

before(async () => {
  p = await startPlatform({ YB_REVIEW_APPS_SWEEP: '1', YB_REVIEW_APPS_MAX: '4' });
  repo = join(p.dataDir, 'src-review');
  cpSync(join(ROOT, 'test', 'fixtures', 'apps', 'node-zero'), repo, { recursive: true });
  writeFileSync(join(repo, 'server.js'), SERVER);
  writeFileSync(join(repo, 'app.json'), JSON.stringify(APP_JSON, null, 2));
  await git(repo, ['init', '-q', '-b', 'main']);
  await commitAll(repo, 'review fixture');
  remote = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/web.git`;
  await p.yb(['apps:create', 'web', '--no-remote']);
  const main = await git(repo, ['push', remote, 'main']);
  assert.equal(main.code, 0, main.output);
  await p.yb(['pipelines:create', 'web-pipe']);
  await p.yb(['pipelines:add', 'web', '-p', 'web-pipe', '--stage', 'development']);
});

after(async () => {
  await p?.stop();
  await p?.probe.removeVolumes().catch(() => undefined);
});

test('a branch push makes a review app with its own config and Redis, served by the router; deleting the branch destroys both', async () => {
  const on = await p.yb(['reviewapps:enable', '-p', 'web-pipe']);
  assert.match(on.stdout, /Review apps on for web-pipe: git push yb BRANCH to web makes web-BRANCH/);

  const first = await pushBranch('login', '1');
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /Creating review app web-login for branch login \(pipeline web-pipe\)/);
  assert.match(first.output, /Creating redis service web-login-redis/);
  assert.match(first.output, /v\d+ is live at http:\/\/web-login\.localhost:\d+\//);
  assert.match((await p.fetchApp('web-login.localhost')).body, /^ok v\d+ review$/);
  assert.equal((await p.fetchApp('web-login.localhost', '/redis')).body, '+PONG', 'its own Redis answers');
  assert.equal((await p.fetchApp('web.localhost')).body, 'ok v1 parent', 'the parent is untouched');
  const app = (await api('GET', '/apps/web-login')).json as { team: string; currentRelease: number };
  assert.equal(app.team, 'main', "in the pipeline's team");
  const info = JSON.parse((await p.yb(['pipelines:info', 'web-pipe', '--json'])).stdout) as { apps: Record<string, string> };
  assert.equal(info.apps['web-login'], 'review');

  // A later push to the branch redeploys the same review app.
  writeFileSync(join(repo, 'server.js'), SERVER.replace("process.env.EDITION || ''", "'second'"));
  await commitAll(repo, 'second edition');
  const second = await pushBranch('login', '2');
  assert.equal(second.code, 0, second.output);
  assert.doesNotMatch(second.output, /Creating review app/);
  const again = (await api('GET', '/apps/web-login')).json as { currentRelease: number };
  assert.ok(again.currentRelease > app.currentRelease, 'a new release');
  assert.match((await p.fetchApp('web-login.localhost')).body, /^ok v\d+ review second$/);

  // Deleting the branch (over SSH this time: ybd tells that hook too) destroys the app and its service.
  const key = makeKey(p.dataDir, 'pusher');
  assert.equal((await api('POST', '/keys', { publicKey: readFileSync(`${key}.pub`, 'utf8') })).status, 201);
  const del = await git(repo, ['push', sshUrl(p, 'web'), ':login'], sshEnv(key));
  assert.equal(del.code, 0, del.output);
  assert.match(del.output, /Destroying review app web-login of branch login/);
  assert.equal((await api('GET', '/apps/web-login')).status, 404);
  assert.equal((await api('GET', '/services/web-login-redis')).status, 404);
  assert.deepEqual(await p.probe.processes({ service: 'web-login-redis' }), [], 'the service container is gone');
  assert.deepEqual(await p.probe.processes({ app: 'web-login' }), [], 'the app containers are gone');
  assert.equal((await p.fetchApp('web-login.localhost')).status, 404, 'the router no longer routes it');
  assert.deepEqual(await reviewApps(), []);
});

test('hostile branch names cannot reach another app or escape', async () => {
  // An app (not in the pipeline) already has the name the branch "feature" would get.
  await p.yb(['apps:create', 'web-feature', '--no-remote']);
  const feature = await pushBranch('feature', 'f');
  assert.equal(feature.code, 0, feature.output);
  const taken = (await api('GET', '/apps/web-feature')).json as { currentRelease: number };
  assert.equal(taken.currentRelease, 0, 'the existing app got nothing');
  const injected = await pushBranch('x&app=web-feature&ref=main#MAIN', 'i');
  assert.equal(injected.code, 0, injected.output);
  const lookalike = await pushBranch('MAIN', 'm');
  assert.equal(lookalike.code, 0, lookalike.output);
  const unicode = await pushBranch('ö'.repeat(120), 'u');
  assert.equal(unicode.code, 0, unicode.output);
  const list = await reviewApps();
  assert.deepEqual(list.map((r) => r.branch).sort(), ['MAIN', 'feature', 'x&app=web-feature&ref=main#MAIN', 'ö'.repeat(120)].sort());
  for (const r of list) {
    assert.match(r.app, /^web-[a-z0-9-]+-[0-9a-f]{6}$|^web-[0-9a-f]{6}$/, `${r.branch} → ${r.app}`);
    assert.ok(r.app.length <= 21);
    assert.match((await p.fetchApp(`${r.app}.localhost`)).body, /^ok v\d+ review second$/);
  }
  assert.equal(new Set(list.map((r) => r.app)).size, list.length, 'one app per branch');
  assert.equal((await api('GET', '/apps/web-feature')).json.currentRelease, 0, 'still nothing deployed to web-feature');
  assert.equal((await p.fetchApp('web.localhost')).body, 'ok v1 parent', 'the parent (main) was never deployed by them');

  // Four review apps is the pipeline's limit here (YB_REVIEW_APPS_MAX=4): a fifth branch is refused and makes nothing.
  const fifth = await pushBranch('fifth', '5');
  assert.notEqual(fifth.code, 0);
  assert.match(fifth.output, /pipeline web-pipe already has 4 review apps, the most allowed \(YB_REVIEW_APPS_MAX\)/);
  assert.equal((await reviewApps()).length, 4);
  assert.equal((await api('GET', '/apps/web-fifth')).status, 404);

  const long = await pushBranch('x'.repeat(300), 'l');
  assert.notEqual(long.code, 0);
  assert.match(long.output, /is not a branch name git accepts \(or is longer than 255 bytes\)/);
  const refs = await git(repo, ['ls-remote', remote]);
  assert.ok(!refs.output.includes('x'.repeat(300)), 'the refused branch was not stored');
  for (const bad of ['../x', 'main', 'a..b', '-rf']) {
    const r = await api('POST', '/pipelines/web-pipe/review-apps', { branch: bad });
    assert.match(String(r.json), /not a branch name git accepts|deploys the app itself/, bad);
  }
});

test('reviewapps:create from a pushed branch, and idle review apps destroyed with their services', async () => {
  await p.yb(['reviewapps:disable', '-p', 'web-pipe']);
  const stored = await pushBranch('later', 'l');
  assert.equal(stored.code, 0, stored.output);
  assert.match(stored.output, /Pushed refs\/heads\/later; only main or master is deployed/);
  assert.equal((await api('GET', '/apps/web-later')).status, 404, 'review apps off: nothing made');

  const earlier = (await reviewApps()).map((r) => r.app);
  await p.yb(['reviewapps:enable', '-p', 'web-pipe', '--idle-hours', '0.004']); // 14.4 s
  // The last test's four review apps go idle first, which frees the pipeline's places (YB_REVIEW_APPS_MAX=4).
  await until('the earlier review apps are destroyed as idle', async () => (await reviewApps()).length === 0, 120_000);
  const made = await p.yb(['reviewapps:create', 'later', '-p', 'web-pipe'], { allowFail: true });
  assert.equal(made.code, 0, `${made.stdout}${made.stderr}\n${p.output().slice(-4000)}`);
  assert.match(made.stdout, /Creating review app web-later for branch later/);
  assert.match((await p.fetchApp('web-later.localhost')).body, /^ok v\d+ review second$/);
  const services = (await reviewApps()).flatMap((r) => r.services);
  assert.ok(services.includes('web-later-redis'));

  const started = Date.now();
  const names = [...earlier, ...(await reviewApps()).map((r) => r.app)];
  await until(
    'every idle review app is destroyed',
    async () =>
      (await reviewApps()).length === 0 && (await Promise.all(names.map(async (a) => (await api('GET', `/apps/${a}`)).status))).every((s) => s === 404),
    120_000,
  );
  process.stdout.write(`# idle review apps destroyed ${((Date.now() - started) / 1000).toFixed(1)} s after the last deploy (idle 14.4 s)\n`);
  assert.equal((await api('GET', '/apps/web-later')).status, 404);
  for (const s of services) assert.equal((await api('GET', `/services/${s}`)).status, 404, `${s} is gone`);
  assert.equal((await api('GET', '/apps/web')).status, 200, 'the parent stays');
  assert.equal((await api('GET', '/apps/web-feature')).status, 200, 'an app that is not a review app stays');
});
