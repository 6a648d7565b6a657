// Issue #18 item 4: `yb apps:rename`. An app with a linked service, a mounted volume, a custom domain, config, a
// dependent app and a git remote is renamed under load through the router: no request to the custom domain fails, the
// new default host serves and the old one is 404, the processes run under the new name, releases and logs keep their
// history, the dependent app reaches it by its new name, the CLI updates the repository's remote, the old remote says
// where the app went, and a push to the new one deploys. Refusals change nothing. A control-plane kill -9 mid-way is
// finished by the next start; a crash during the copy is undone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, deployFixture, expectedBody, git, commitAll, type Platform } from '../../helpers/platform.js';
import { startLoad } from '../../helpers/load.js';
import { until } from '../../helpers/until.js';
import { BACKEND } from '../../helpers/backend.js';
import { createTestPki, type TestPki } from '../router/tls-pki.js';
import { eventually, httpsGet } from '../../helpers/tls-client.js';

const run = promisify(execFile);
const EXPECTED = expectedBody('dockerfile-hello');
let p: Platform;
let repo: string;
let pki: TestPki | undefined;

before(async () => {
  p = await startPlatform();
  repo = await deployFixture(p, 'shop', 'dockerfile-hello');
});

after(async () => {
  pki?.close();
  await p?.stop();
  if (BACKEND === 'docker') await run('docker', ['volume', 'rm', '-f', `${p.instance}-vol-files`]).catch(() => undefined);
  else await p?.probe.removeVolumes();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const r = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: (await r.json()) as T };
}

async function etcdKeys(prefix: string): Promise<string[]> {
  const client = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    return await client.getAll().prefix(`/yunbang/${prefix}`).keys();
  } finally {
    client.close();
  }
}

/** The apps whose processes (not one-offs) run on this run's backend (containers, or pods). */
async function processApps(): Promise<string[]> {
  const procs = await p.probe.processes({ kind: 'process' });
  return [...new Set(procs.filter((x) => x.running).map((x) => x.app ?? '?'))].sort();
}

test('rename under load: routes, config, volume, link, dependent, history and git remote follow; 0 failed requests', async () => {
  const host = `${new URL(p.apiUrl).host}`;
  // What follows the app: config, a linked service, a mounted volume with a file, a custom domain, a dependent app.
  await p.yb(['config:set', 'GREETING=kept-secret', '-a', 'shop']);
  await p.yb(['services:attach-url', 'ledger', 'postgres://u:pw@db.example.test:5432/books']);
  await p.yb(['services:link', 'ledger', '-a', 'shop']);
  await p.yb(['storage:create', 'files']);
  await p.yb(['storage:mount', 'files', '/app/public/files', '-a', 'shop']);
  await p.yb(['run', '-a', 'shop', '--', 'echo kept-file > /app/public/files/note.txt']);
  await p.yb(['domains:add', 'shop.example.test', '-a', 'shop']);
  pki = await createTestPki();
  const leaf = await pki.leaf(['shop.example.test']);
  await p.yb(['certs:add', leaf.certFile, leaf.keyFile, '-a', 'shop']);
  const tlsPort = Number(p.env.YB_ROUTER_TLS_ADDR!.split(':').pop());
  const releases = (await api<Array<{ version: number; imageId: string }>>('GET', '/apps/shop/releases')).json;
  await p.yb(['apps:create', 'front']);
  await p.yb(['deploy:image', releases.at(-1)!.imageId, '-a', 'front']);
  await p.yb(['deps:add', 'shop', '-a', 'front']);
  const before = releases.at(-1)!.version;
  await git(repo, ['remote', 'add', 'yb', `${p.apiUrl}/git/shop.git`]);

  // Paced, so its access lines stay within the log lines kept per app (YB_LOG_LINES) and the history below is still there.
  const load = startLoad(p.routerPort, 'shop.example.test', { keepAlive: 3, fresh: 1, maxSeconds: 300, pauseMs: 5 });
  await until('load is flowing', async () => load.result.requests > 20);
  const t0 = Date.now();
  const renamed = await p.yb(['apps:rename', 'shop', 'store'], { cwd: repo });
  const seconds = (Date.now() - t0) / 1000;
  await until('more requests after the rename', async () => load.result.requests > 50);
  const r = await load.stop();
  process.stdout.write(`# rename: ${seconds.toFixed(1)} s; ${r.requests} requests to the custom domain, ${r.failures} failed\n`);
  // On failure, what ybd said about the rename and the processes meanwhile.
  const said = () =>
    p
      .output()
      .split('\n')
      .filter((l) => /renam|endpoint|reconcil|process|rollout|unhealthy/i.test(l))
      .slice(-60)
      .join('\n');
  assert.equal(r.failures, 0, `${r.samples.join('\n')}\n${said()}`);
  assert.match(renamed.stdout, /Renamed shop to store/);
  assert.match(renamed.stdout, /Git remote yb updated/);
  assert.match((await git(repo, ['remote', 'get-url', 'yb'])).output, /\/git\/store\.git$/m);

  // Routes: the new default host serves, the old one is gone, the custom domain stays.
  assert.equal((await p.fetchApp('store.localhost')).body.trim(), EXPECTED);
  assert.equal((await p.fetchApp('shop.localhost')).status, 404);
  assert.equal((await p.fetchApp('shop.example.test')).body.trim(), EXPECTED);
  assert.equal((await p.fetchApp('store.localhost', '/files/note.txt')).body.trim(), 'kept-file', 'the volume is mounted');
  // The custom domain's certificate stays with the app.
  const tls = await eventually(
    'the certificate served after the rename',
    () => httpsGet(tlsPort, 'shop.example.test', { ca: pki!.ca }),
    (x) => x.serial === leaf.serial && x.status === 200,
  );
  assert.equal(tls.body.trim(), EXPECTED);
  const certs = JSON.parse((await p.yb(['certs', '-a', 'store', '--json'])).stdout) as { certificates: Array<{ hostname: string }> };
  assert.deepEqual(
    certs.certificates.map((x) => x.hostname),
    ['shop.example.test'],
  );
  // The processes run under the new name only; the old name is gone everywhere.
  assert.deepEqual(await processApps(), ['front', 'store']);
  assert.equal((await p.yb(['apps:info', '-a', 'shop'], { allowFail: true })).code, 4);
  assert.deepEqual(await etcdKeys('apps/shop/'), []);
  assert.deepEqual(await etcdKeys('builds/shop/'), []);
  assert.deepEqual(await etcdKeys('endpoints/shop/'), []);
  assert.deepEqual(await etcdKeys('locks/rename/'), []);
  // Config (sealed for the old name) and the link's vars; releases keep their numbers; logs keep the history.
  assert.equal((await p.yb(['config:get', 'GREETING', '-a', 'store'])).stdout.trim(), 'kept-secret');
  assert.match((await p.yb(['config:get', 'DATABASE_URL', '-a', 'store'])).stdout, /db\.example\.test/);
  const info = JSON.parse((await p.yb(['services:info', 'ledger', '--json'])).stdout) as { links: Array<{ app: string }> };
  assert.deepEqual(
    info.links.map((l) => l.app),
    ['store'],
  );
  const after = (await api<Array<{ version: number }>>('GET', '/apps/store/releases')).json.map((x) => x.version);
  assert.equal(Math.max(...after), before, 'no release was made');
  assert.deepEqual(
    after,
    Array.from({ length: before }, (_, i) => i + 1),
  );
  const logs = (await p.yb(['logs', '-a', 'store', '-n', '500', '--source', 'yb'])).stdout;
  assert.match(logs, /Release v1 created/);
  assert.match(logs, /Renamed from shop/);
  const events = JSON.parse((await p.yb(['events', '-a', 'store', '-n', '200', '--json'])).stdout) as Array<{ action: string; app: string }>;
  assert.ok(events.some((e) => e.action === 'app.create') && events.some((e) => e.action === 'app.rename'), JSON.stringify(events.map((e) => e.action)));
  // Image tags follow the name (release retention removes images by them).
  const { stdout: tags } = await run('docker', ['images', '--filter', `label=yunbang.instance=${p.instance}`, '--format', '{{.Repository}}']);
  assert.ok(tags.includes('yunbang-app/store') && !tags.includes('yunbang-app/shop'), tags);
  // The dependent app reaches it by its new name.
  assert.match((await p.yb(['config:get', 'SHOP_URL', '-a', 'front'])).stdout, /^http:\/\/store:8000/);
  // Its running process (of the release with the new value) reaches store by that name on the team network.
  await until('front reaches store by its new name', async () => {
    const web = (await p.probe.processes({ app: 'front', kind: 'process' })).find((x) => x.running);
    return web && new RegExp(EXPECTED).test(await p.probe.exec(web.id, ['sh', '-c', 'curl -fsS "$SHOP_URL"']).catch(() => ''));
  });

  // The old remote says where the app went; a push to the new one deploys.
  const old = await git(repo, ['push', `http://yb:${p.token}@${host}/git/shop.git`, 'main']);
  assert.notEqual(old.code, 0);
  assert.match(old.output, /app shop was renamed to store; point your remote at it: git remote set-url yb http:\/\/.*\/git\/store\.git/);
  writeFileSync(join(repo, 'public', 'index.html'), 'after the rename\n');
  await commitAll(repo, 'after the rename');
  const push = await git(repo, ['push', `http://yb:${p.token}@${host}/git/store.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  await until('the push to the new remote serves', async () => (await p.fetchApp('store.localhost')).body.trim() === 'after the rename');
  assert.match((await p.yb(['releases', '-a', 'store'])).stdout, new RegExp(`v${before + 1}`));
  // The old name is free again: a new app takes it, and its remote is that app's from then on.
  assert.equal((await etcdKeys('former-names/shop')).length, 1);
  await p.yb(['apps:create', 'shop', '--no-remote']);
  assert.deepEqual(await etcdKeys('former-names/shop'), []);
  await p.yb(['apps:destroy', '-a', 'shop', '--confirm', 'shop']);
});

test('refusals: itself, invalid, taken, a team service name, another team, a missing app; nothing changes', async () => {
  const stateBefore = (await etcdKeys('')).filter((k) => !/\/(events|routers|endpoints|locks)\//.test(k) && !k.endsWith('cron-clock'));
  const refused = async (args: string[], message: RegExp) => {
    const r = await p.yb(['apps:rename', ...args], { allowFail: true });
    assert.notEqual(r.code, 0, `${args.join(' ')} was refused`);
    assert.match(r.stderr, message);
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.trim()).length <= 2,
      true,
      `one clear sentence: ${r.stderr}`,
    );
  };
  await refused(['store', 'store'], /store already has that name/);
  await refused(['store', 'No_Such'], /"No_Such" is not a valid app name/);
  await refused(['store', 'front'], /an app named "front" already exists/);
  await refused(['store', 'ledger'], /team "main" has a service named "ledger"/);
  await refused(['nowhere', 'else'], /no app named "nowhere"/);
  await p.yb(['domains:add', 'taken.localhost', '-a', 'front']);
  await refused(['store', 'taken'], /taken\.localhost is already a domain of an app/);
  const across = await api<{ id: string; message: string }>('POST', '/apps/store/rename', { name: 'moved', team: 'elsewhere' });
  assert.equal(across.status, 400);
  assert.match(across.json.message, /renaming keeps store in team "main"/);
  await p.yb(['domains:remove', 'taken.localhost', '-a', 'front']);
  const stateAfter = (await etcdKeys('')).filter((k) => !/\/(events|routers|endpoints|locks)\//.test(k) && !k.endsWith('cron-clock'));
  assert.deepEqual(stateAfter, stateBefore);
});

test('a control-plane kill -9 after the switch is finished by the next start; a crash during the copy is undone', async () => {
  // Kill while the processes are being re-created under the new name (the journal says "switched").
  const pending = api('POST', '/apps/store/rename', { name: 'market' }).catch(() => undefined);
  const client = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    await until('the rename switched', async () => ((await client.get('/yunbang/locks/rename/market').string()) ?? '').includes('"switched"'));
  } finally {
    client.close();
  }
  p.kill9();
  await pending;
  // Cut short indeed: the processes of the old name were not retired yet.
  assert.ok((await processApps()).includes('store'), 'killed before the old processes stopped');
  await p.restart();
  assert.deepEqual(await etcdKeys('locks/rename/'), []);
  assert.equal((await p.fetchApp('market.localhost')).body.trim(), 'after the rename');
  assert.equal((await p.fetchApp('store.localhost')).status, 404);
  await until('only processes of the new name', async () => JSON.stringify(await processApps()) === JSON.stringify(['front', 'market']));
  assert.match((await p.yb(['config:get', 'SHOP_URL', '-a', 'front'])).stdout, /^http:\/\/market:8000/);

  // A crash during the copy: the journal and some copied keys, no switch. The next start undoes it.
  const c2 = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    await c2
      .put('/yunbang/locks/rename/bazaar')
      .value(JSON.stringify({ from: 'market', to: 'bazaar', team: 'main', by: 'admin', phase: 'copying', startedAt: new Date().toISOString() }));
    await c2.put('/yunbang/apps/bazaar/formation/web').value(JSON.stringify({ type: 'web', quantity: 1 }));
  } finally {
    c2.close();
  }
  const refused = await p.yb(['apps:create', 'bazaar'], { allowFail: true });
  assert.match(refused.stderr, /an app named "bazaar" already exists/, 'a rename in progress reserves its name');
  p.kill9();
  await p.restart();
  assert.deepEqual(await etcdKeys('apps/bazaar'), []);
  assert.deepEqual(await etcdKeys('locks/rename/'), []);
  assert.equal((await p.fetchApp('market.localhost')).body.trim(), 'after the rename');
});

test("a rename waits for a deploy in progress (the app's deploy queue) and the app keeps that deploy's release", async () => {
  const host = new URL(p.apiUrl).host;
  const builds = (await etcdKeys('builds/market/')).length;
  writeFileSync(join(repo, 'public', 'index.html'), 'deployed while renaming\n');
  await commitAll(repo, 'deployed while renaming');
  let pushedAt = 0;
  const push = git(repo, ['push', `http://yb:${p.token}@${host}/git/market.git`, 'main']).then((r) => ((pushedAt = Date.now()), r));
  await until('the deploy is building', async () => (await etcdKeys('builds/market/')).length > builds);
  const asked = Date.now();
  const renamed = await p.yb(['apps:rename', 'market', 'bazaar']);
  const renamedAt = Date.now();
  const pushed = await push;
  assert.ok(pushedAt > 0 && pushedAt <= renamedAt, 'the rename finished only after the deploy did');
  assert.equal(pushed.code, 0, pushed.output);
  assert.ok(asked < pushedAt, 'the rename was asked while the deploy ran');
  assert.match(renamed.stdout, /Renamed market to bazaar/);
  const releases = (await api<Array<{ version: number; description: string; status: string }>>('GET', '/apps/bazaar/releases')).json;
  assert.equal(releases.at(-1)!.status, 'succeeded');
  assert.equal((await p.fetchApp('bazaar.localhost')).body.trim(), 'deployed while renaming');
  assert.equal((await p.fetchApp('market.localhost')).status, 404);
});

test('a webhook follows the app: its secret, sealed for the old name, still checks deliveries to the old payload URL', async () => {
  const enabled = (await p.yb(['webhooks:enable', '-a', 'bazaar', '--repo', 'https://git.example.test/acme/shop.git', '--provider', 'github'])).stdout;
  const url = /Payload URL:\s+(\S+)/.exec(enabled)?.[1];
  const secret = /Secret:\s+([0-9a-f]{64})/.exec(enabled)?.[1];
  assert.ok(url?.includes('/hooks/bazaar/') && secret, enabled);
  await p.yb(['apps:rename', 'bazaar', 'kiosk']);
  const ping = async (signedWith: string) => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const res = await fetch(url!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', signedWith).update(body).digest('hex')}`,
      },
      body,
    });
    return { status: res.status, json: (await res.json()) as { outcome?: string; id?: string } };
  };
  const ok = await ping(secret!);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.outcome, 'pong');
  assert.equal((await ping('a-wrong-secret')).status, 401);
  assert.match((await p.yb(['webhooks', '-a', 'kiosk'])).stdout, /git\.example\.test/);
});
