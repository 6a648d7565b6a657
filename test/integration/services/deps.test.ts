// Issue #7, app dependencies end to end: `yb deps:add api -a front` gives front API_URL (api's web processes on
// the team network by DNS alias); front keeps reaching api while api is redeployed; cycles are shown; deps stay
// within a team; deps:remove leaves no variable behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { ybAs } from '../auth/as-user.js';

let p: Platform;

before(async () => {
  p = await startPlatform();
  const [api, front] = await Promise.all([fixtureRepo('node-hello', p.dataDir), fixtureRepo('node-db', p.dataDir)]);
  await p.yb(['apps:create', 'api', '--no-remote']);
  await p.yb(['apps:create', 'front', '--no-remote']);
  const pushes = await Promise.all([git(api, ['push', pushUrl('api'), 'main']), git(front, ['push', pushUrl('front'), 'main'])]);
  for (const push of pushes) assert.equal(push.code, 0, push.output);
});

after(async () => {
  if (p && p.child.exitCode !== null)
    process.stdout.write(
      `# ybd exited (${p.child.exitCode}); its output:\n${p
        .output()
        .split('\n')
        .slice(-40)
        .map((l) => `#   ${l}`)
        .join('\n')}\n`,
    );
  await p?.stop();
});

function pushUrl(app: string): string {
  return `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
}

async function config(app: string): Promise<Record<string, string>> {
  return JSON.parse((await p.yb(['config', '-a', app, '--json'])).stdout) as Record<string, string>;
}

test('deps:add sets API_URL/_HOST/_PORT in a new release and front reaches api by it', async () => {
  const r = await p.yb(['deps:add', 'api', '-a', 'front']);
  assert.match(r.stderr, /API_URL, API_HOST, API_PORT set, released v2/);
  const vars = await config('front');
  assert.equal(vars.API_URL, 'http://api:5000');
  assert.equal(vars.API_HOST, 'api');
  assert.equal(vars.API_PORT, '5000');
  const res = await p.fetchApp('front.localhost', '/dep?name=API');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.body, 'hello from yunbang world');
  const again = await p.yb(['deps:add', 'api', '-a', 'front'], { allowFail: true });
  assert.equal(again.code, 5, 'a second identical dependency is a conflict');
});

test('front keeps reaching api while api is redeployed (rollout follows the DNS alias)', async () => {
  let stop = false;
  const bodies: string[] = [];
  const failures: string[] = [];
  const load = (async () => {
    while (!stop) {
      const res = await p.fetchApp('front.localhost', '/dep?name=API').catch((err: Error) => ({ status: 0, body: err.message }));
      if (res.status === 200) bodies.push(res.body);
      else failures.push(`${res.status} ${res.body}`);
    }
  })();
  await p.yb(['config:set', 'GREETING=v2', '-a', 'api']);
  await p.yb(['ps:restart', '-a', 'api']);
  stop = true;
  await load;
  assert.deepEqual(failures, [], 'no request failed during the rollouts');
  assert.ok(bodies.length > 20, `requests ran throughout (${bodies.length})`);
  assert.equal(bodies[0], 'hello from yunbang world');
  assert.equal(bodies.at(-1), 'hello from yunbang v2', 'the new release answers after the rollout');
});

test('a cycle is allowed and shown', async () => {
  const r = await p.yb(['deps:add', 'front', '-a', 'api']);
  assert.match(r.stdout, /cycle: api → front → api/);
  const view = JSON.parse((await p.yb(['deps', '-a', 'front', '--json'])).stdout) as {
    deps: Array<{ other: string }>;
    dependents: string[];
    cycles: string[][];
  };
  assert.deepEqual(
    view.deps.map((d) => d.other),
    ['api'],
  );
  assert.deepEqual(view.dependents, ['api']);
  assert.deepEqual(view.cycles, [['front', 'api', 'front']]);
  const text = (await p.yb(['deps', '-a', 'front'])).stdout;
  assert.match(text, /api\s+http:\/\/api:5000/);
  assert.match(text, /cycle: front → api → front/);
});

test('dependencies and links stay within a team', async () => {
  await p.yb(['teams:create', 'other']);
  await p.yb(['apps:create', 'elsewhere', '--team', 'other', '--no-remote']);
  const dep = await p.yb(['deps:add', 'elsewhere', '-a', 'front'], { allowFail: true });
  assert.equal(dep.code, 4, dep.stderr);
  assert.match(dep.stderr, /dependencies stay within a team/);
  await p.yb(['services:attach-url', 'ext-cache', 'redis://:pw@cache.example.com:6379', '--team', 'other']);
  const link = await p.yb(['services:link', 'ext-cache', '-a', 'front'], { allowFail: true });
  assert.equal(link.code, 3, link.stderr);
  const self = await p.yb(['deps:add', 'front', '-a', 'front'], { allowFail: true });
  assert.equal(self.code, 2, self.stderr);
});

test('service credentials: shown only to those who may manage, sealed at rest in etcd', async () => {
  const password = 'very-secret-pw-7';
  await p.yb(['services:attach-url', 'ro-db', `postgres://owner:${password}@db.example.com:5432/app`]);
  const token = (await p.yb(['users:create', 'vera'])).stdout.trim();
  await p.yb(['members:add', 'vera', '-t', 'main', '--role', 'viewer']);
  const seen = await ybAs(p, token, ['services:info', 'ro-db', '--json']);
  assert.equal(seen.code, 0, seen.stderr);
  assert.ok(!seen.stdout.includes(password), 'a viewer does not see the password');
  assert.deepEqual(JSON.parse(seen.stdout).connection, { scheme: 'postgres', host: 'db.example.com', port: 5432, database: 'app' });
  const link = await ybAs(p, token, ['services:link', 'ro-db', '-a', 'front']);
  assert.equal(link.code, 3, 'a viewer cannot link');
  assert.match((await p.yb(['services:info', 'ro-db'])).stdout, new RegExp(password), 'the owner does');
  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    const raw = await etcd.get('/yunbang/services/ro-db').string();
    assert.ok(raw && !raw.includes(password) && raw.includes('aes-256-gcm'), 'the credentials are sealed in etcd');
  } finally {
    etcd.close();
  }
});

test('deps:remove unsets exactly the dependency vars in a new release', async () => {
  await p.yb(['config:set', 'KEEP=1', '-a', 'front']);
  await p.yb(['deps:remove', 'api', '-a', 'front']);
  const vars = await config('front');
  assert.deepEqual(
    Object.keys(vars).filter((k) => k.startsWith('API_')),
    [],
  );
  assert.equal(vars.KEEP, '1');
  const env = await p.fetchApp('front.localhost', '/env');
  assert.deepEqual(
    (JSON.parse(env.body) as string[]).filter((k) => k.startsWith('API_')),
    [],
  );
  const gone = await p.yb(['deps:remove', 'api', '-a', 'front'], { allowFail: true });
  assert.equal(gone.code, 4);
});
