// Issue #5 (control-plane side): custom and wildcard domains routed through the real router; one owner per host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform();
  const repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'site']);
  await p.yb(['apps:create', 'other']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/site.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await p?.stop();
});

test('custom and wildcard domains route to the app and appear in yb domains', async () => {
  await p.yb(['domains:add', 'www.example.test', '-a', 'site']);
  await p.yb(['domains:add', '*.apps.example.test', '-a', 'site']);
  assert.equal((await p.fetchApp('www.example.test')).body, 'ok v1');
  assert.equal((await p.fetchApp('anything.apps.example.test')).body, 'ok v1');
  assert.equal((await p.fetchApp('WWW.EXAMPLE.TEST:8080')).body, 'ok v1', 'host matching ignores case and port');
  const list = JSON.parse((await p.yb(['domains', '-a', 'site', '--json'])).stdout) as Array<{ hostname: string; kind: string }>;
  assert.deepEqual(
    list.map((d) => [d.hostname, d.kind]),
    [
      ['site.localhost', 'default'],
      ['*.apps.example.test', 'custom'],
      ['www.example.test', 'custom'],
    ],
  );
});

test('a host has one owner; bad names and unknown domains are refused', async () => {
  const taken = await p.yb(['domains:add', 'www.example.test', '-a', 'other'], { allowFail: true });
  assert.equal(taken.code, 5);
  assert.match(taken.stderr, /already in use by another app/);
  const bad = await p.yb(['domains:add', 'not a host', '-a', 'site'], { allowFail: true });
  assert.equal(bad.code, 2);
  const unknown = await p.yb(['domains:remove', 'nope.example.test', '-a', 'site'], { allowFail: true });
  assert.equal(unknown.code, 4);
  assert.equal((await p.fetchApp('www.example.test')).body, 'ok v1', 'nothing changed');
});

test('removing a domain stops routing it', async () => {
  await p.yb(['domains:remove', 'www.example.test', '-a', 'site']);
  assert.equal((await p.fetchApp('www.example.test')).status, 404);
  await p.yb(['domains:add', 'www.example.test', '-a', 'other']);
  assert.equal((await p.fetchApp('www.example.test')).status, 503, 'now routed to the other app, which has no release');
});
