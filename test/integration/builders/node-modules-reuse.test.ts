// Issue #21 (push → serving): a Node.js redeploy whose dependency inputs are unchanged reuses the node_modules of the
// app's last install instead of running npm ci (buildpacks/nodejs/lib/dependencies.sh), and serves the new source;
// a changed package.json and the NODE_MODULES_CACHE=false config var each make a full install. Real platform, git,
// builder image, npm registry and router; one app, pushes one after another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const APP = 'nm-reuse';
const REUSED = /remote: -----> Reusing node_modules: package\.json, lockfile, Node\.js, npm and npm settings unchanged since the last build/;
const NPM_CI = /remote: -----> Installing dependencies \(npm ci\)/;

let p: Platform;
let repo: string;
const kept = () => join(p.dataDir, 'cache', APP, 'node-modules');

before(async () => {
  p = await startPlatform();
  await p.yb(['apps:create', APP]);
  repo = await fixtureRepo('node-hello', p.dataDir);
});

after(async () => {
  await p?.stop();
});

/** Changes the greeting the app serves to `word`, commits, pushes; returns the push output once `word` is served. */
async function pushGreeting(word: string, change?: () => Promise<void>): Promise<string> {
  const server = join(repo, 'server.js');
  const text = (await readFile(server, 'utf8')).replace(/hello from yunbang \w*/, `hello from yunbang ${word}`);
  await writeFile(server, text.replace("process.env.GREETING || 'world'", "process.env.GREETING || ''"));
  await change?.();
  await commitAll(repo, `greet ${word}`);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  await until(`the app to serve "${word}"`, async () => (await p.fetchApp(`${APP}.localhost`)).body.includes(`hello from yunbang ${word}`), 60_000);
  return push.output;
}

test('the first push installs with npm ci and keeps node_modules for the next build', { timeout: 300_000 }, async () => {
  const out = await pushGreeting('first');
  assert.match(out, NPM_CI);
  assert.match(out, /remote: {8}node_modules not reused: no complete copy from an earlier build/);
  assert.doesNotMatch(out, REUSED);
  assert.ok(existsSync(join(kept(), 'inputs')) && existsSync(join(kept(), 'node_modules', 'express', 'package.json')), 'a complete copy is kept');
});

test('a push that changes only the source reuses node_modules, and the new source serves with it', { timeout: 300_000 }, async () => {
  const out = await pushGreeting('reused');
  assert.match(out, REUSED);
  assert.doesNotMatch(out, /npm ci/);
});

test('a changed package.json makes a full install that names the change', { timeout: 300_000 }, async () => {
  const out = await pushGreeting('changedpkg', async () => {
    const file = join(repo, 'package.json');
    const pkg = JSON.parse(await readFile(file, 'utf8')) as { scripts: Record<string, string> };
    pkg.scripts.check = 'node -e 1';
    await writeFile(file, JSON.stringify(pkg, null, 2));
  });
  assert.match(out, NPM_CI);
  assert.match(out, /remote: {8}node_modules not reused: package\.json changed since the last build/);
  assert.doesNotMatch(out, REUSED);
  // The new inputs are kept: the next source-only push reuses again.
  assert.match(await pushGreeting('again'), REUSED);
});

test('the config var NODE_MODULES_CACHE=false makes a full install and drops the kept copy', { timeout: 300_000 }, async () => {
  await p.yb(['config:set', 'NODE_MODULES_CACHE=false', '-a', APP]);
  const out = await pushGreeting('optout');
  assert.match(out, NPM_CI);
  assert.match(out, /remote: {8}node_modules not reused: config var NODE_MODULES_CACHE is false/);
  assert.doesNotMatch(out, REUSED);
  assert.ok(!existsSync(kept()), 'no copy is kept');
});
