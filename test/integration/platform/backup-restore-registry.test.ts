// Issue #19 item 5 with the image registry (YB_REGISTRY_PUSH, docs/architecture.md §9): a release whose image was
// pushed comes back on a restored platform by a pull by digest from the registry, not a rebuild. The registry is one
// the test runs itself (YB_REGISTRY_URL), as an operator's would outlive the machine. Real docker-registry, etcd,
// Docker engine, git, ybd and yb.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, httpGet, cleanupDocker, ROOT, type Platform } from '../../helpers/platform.js';
import { freshEnv, restored as restoredPlatform, ybdRestore, type Restored } from '../../helpers/restored-platform.js';
import { until } from '../../helpers/until.js';
import { freePort } from '../../helpers/ports.js';
import { renderRegistryConfig } from '../../../src/registry/registry-config.js';

const work = mkdtempSync(join(tmpdir(), 'yb-backup-reg-'));
const archive = join(work, 'platform.tar.gz');
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
let registry: ChildProcess;
let registryEnv: Record<string, string>;
let p: Platform | null = null;
let restored: Restored | null = null;
let oldInstance = '';

before(async () => {
  mkdirSync(join(work, 'registry'));
  const addr = `127.0.0.1:${await freePort()}`;
  writeFileSync(join(work, 'registry', 'config.yml'), renderRegistryConfig({ rootDirectory: join(work, 'registry', 'data'), addr }));
  const log = openSync(join(work, 'registry', 'log'), 'a');
  registry = spawn('docker-registry', ['serve', join(work, 'registry', 'config.yml')], { stdio: ['ignore', log, log] });
  await until('the registry to answer', async () => (await fetch(`http://${addr}/v2/`).catch(() => null))?.ok);
  registryEnv = { YB_REGISTRY_PUSH: 'true', YB_REGISTRY_URL: `http://${addr}`, YB_REGISTRY_ADDR: `127.0.0.1:${await freePort()}` };
  p = await startPlatform(registryEnv);
  oldInstance = p.instance;
  const src = await fixtureRepo('dockerfile-hello', work);
  await p.yb(['apps:create', 'pulled', '--no-remote']);
  const push = await git(src, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/pulled.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  assert.equal((await p.fetchApp('pulled.localhost')).body.trim(), EXPECTED);
});

after(async () => {
  await restored?.stop();
  await p?.stop();
  if (oldInstance) await cleanupDocker(oldInstance); // the image pulled back still carries the old instance's label
  registry?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

test('a pushed release image comes back by a pull from the registry, not a rebuild', async () => {
  const backup = await p!.yb(['admin:backup', archive]);
  assert.match(backup.stdout, /Backed up to/);
  const before = JSON.parse((await p!.yb(['releases:info', '-a', 'pulled', '--json'])).stdout) as { imageId: string; registryImage: string };
  assert.match(before.registryImage, /@sha256:[0-9a-f]{64}$/);
  await p!.stop(); // removes the app's containers and its labelled images: the local copy is gone
  p = null;

  const fresh = await freshEnv(registryEnv);
  const r = ybdRestore(fresh.env, archive, 'Yunbang is running');
  restored = restoredPlatform(fresh, r.child);
  const res = await r.done;
  assert.equal(res.code, null, res.out);
  assert.equal((await httpGet(fresh.routerPort, 'pulled.localhost')).body.trim(), EXPECTED);

  const token = restored.token();
  const builds = JSON.parse((await restored.yb(['builds', '-a', 'pulled', '--json'], token)).out) as Array<{ createdBy: string }>;
  assert.deepEqual(
    builds.filter((b) => b.createdBy === 'restore'),
    [],
    'nothing was rebuilt',
  );
  const after_ = JSON.parse((await restored.yb(['releases:info', '-a', 'pulled', '--json'], token)).out) as { imageId: string; registryImage: string };
  assert.deepEqual(after_, { ...after_, imageId: before.imageId, registryImage: before.registryImage }, 'the very image, by digest');
});
