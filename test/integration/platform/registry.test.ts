// Issue #15 item 6: the platform's own image registry, against the real docker-registry and Docker engine. With
// YB_REGISTRY_PUSH a push stores the image in the embedded registry (the release names it by digest); after the
// local image is deleted a rollback pulls it back and serves; retention deletes dropped manifests and garbage
// collection their blobs; YB_REGISTRY_URL uses a registry the test runs itself; with pushing off nothing is pushed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { freePort } from '../../helpers/ports.js';
import { renderRegistryConfig } from '../../../src/registry/registry-config.js';

const run = promisify(execFile);
const APP = 'reg';
const HOST = `${APP}.localhost`;
let embeddedAddr = '';
let p: Platform;
let repo: string;

interface Release {
  version: number;
  image: string;
  imageId: string;
  registryImage?: string;
  build?: string;
}

const pushUrl = (pl: Platform, app: string) => `http://yb:${pl.token}@${new URL(pl.apiUrl).host}/git/${app}.git`;
const release = async (pl: Platform, app: string, v?: number) =>
  JSON.parse((await pl.yb(['releases:info', ...(v ? [String(v)] : []), '-a', app, '--json'])).stdout) as Release;

/** A new commit that changes what the app serves, so every deploy makes a distinct image. */
async function deployNew(pl: Platform, dir: string, app: string, text: string, file = join('public', 'index.html')): Promise<string> {
  writeFileSync(join(dir, file), `${text}\n`);
  await commitAll(dir, text);
  const push = await git(dir, ['push', pushUrl(pl, app), 'main']);
  assert.equal(push.code, 0, push.output);
  return push.output;
}

function parts(ref: string): { host: string; name: string; digest: string } {
  const m = /^([^/]+)\/(.+)@(sha256:[a-f0-9]{64})$/.exec(ref);
  assert.ok(m, `"${ref}" is a registry digest reference`);
  return { host: m[1]!, name: m[2]!, digest: m[3]! };
}

const manifestStatus = async (ref: string) => {
  const { host, name, digest } = parts(ref);
  const res = await fetch(`http://${host}/v2/${name}/manifests/${digest}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return { status: res.status, digest: res.headers.get('docker-content-digest') };
};

/** The manifest's status once the embedded registry answers: garbage collection (after deletions) stops it for a moment. */
const statusWhenUp = (ref: string) =>
  until(`the registry to answer for ${ref.slice(0, 60)}…`, async () => (await manifestStatus(ref).catch(() => null))?.status, 60_000);

const blobPath = (dataDir: string, digest: string) => join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data');

before(async () => {
  embeddedAddr = `127.0.0.1:${await freePort()}`;
  p = await startPlatform({ YB_REGISTRY_PUSH: 'true', YB_REGISTRY_ADDR: embeddedAddr, YB_RELEASE_RETENTION: '2' });
  repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  await p.yb(['apps:create', APP]);
});

after(async () => {
  await p?.stop();
});

test('a push stores the built image in the embedded registry and the release names it by digest', async () => {
  const out = await deployNew(p, repo, APP, 'registry one');
  assert.match(out, new RegExp(`remote: -----> Pushing to ${embeddedAddr.replace(/\./g, '\\.')}/${p.instance}/${APP}:`));
  assert.match(out, /remote: +Pushed \d+ layers? \(\d+ already there\) in [\d.]+ s: sha256:/);
  assert.equal((await p.fetchApp(HOST)).body.trim(), 'registry one');
  const rel = await release(p, APP);
  const ref = parts(rel.registryImage ?? '');
  assert.equal(ref.host, embeddedAddr);
  assert.equal(ref.name, `${p.instance}/${APP}`);
  const catalog = (await (await fetch(`http://${embeddedAddr}/v2/_catalog`)).json()) as { repositories: string[] };
  assert.ok(catalog.repositories.includes(ref.name), JSON.stringify(catalog));
  const tags = (await (await fetch(`http://${embeddedAddr}/v2/${ref.name}/tags/list`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes(rel.build!), `the build id is a tag: ${JSON.stringify(tags)}`);
  assert.deepEqual(await manifestStatus(rel.registryImage!), { status: 200, digest: ref.digest });
  assert.ok(existsSync(join(p.dataDir, 'registry', 'data', 'docker', 'registry', 'v2')), 'the embedded registry keeps its data under $YB_DATA_DIR/registry');
  // The registry tag was only for the push: the engine keeps the platform tag alone (retention removes by it).
  const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{json .RepoTags}}', rel.imageId]);
  assert.deepEqual(JSON.parse(stdout), [rel.image]);
});

test('after the local image is deleted, a rollback pulls it from the registry by digest and serves it', async () => {
  const v1 = await release(p, APP);
  await deployNew(p, repo, APP, 'registry two');
  assert.equal((await p.fetchApp(HOST)).body.trim(), 'registry two');
  await run('docker', ['rmi', v1.image]);
  await assert.rejects(run('docker', ['image', 'inspect', v1.imageId]), 'the local image of v1 is gone');
  const r = await p.yb(['rollback', `v${v1.version}`, '-a', APP]);
  assert.equal(r.code, 0, r.stderr);
  await until('v1 to serve again', async () => (await p.fetchApp(HOST)).body.trim() === 'registry one');
  const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{json .RepoTags}}', v1.imageId]);
  assert.deepEqual(JSON.parse(stdout), [v1.image], 'the pulled image carries its platform tag again');
  const current = await release(p, APP);
  assert.equal(current.registryImage, v1.registryImage, 'the rollback release names the same digest');
  // A start that needs the image (ps:start, as restarts and scaling) pulls it too.
  await p.yb(['ps:stop', '-a', APP]);
  await until(
    'the processes to be removed',
    async () =>
      (await run('docker', ['ps', '-aq', '--filter', `label=yunbang.instance=${p.instance}`, '--filter', `label=yunbang.app=${APP}`])).stdout.trim() === '',
  );
  // The platform tag is the image's only reference again (no digest reference keeps it alive), so removing the
  // tag removes the image, as release retention does.
  await run('docker', ['rmi', v1.image]);
  await assert.rejects(run('docker', ['image', 'inspect', v1.imageId]), 'the pulled image is gone with its tag');
  await p.yb(['ps:start', '-a', APP]);
  await until('the app to serve again', async () => (await p.fetchApp(HOST)).body.trim() === 'registry one');
});

test('retention deletes the manifests of dropped releases, and garbage collection their blobs', async () => {
  const rels = JSON.parse((await p.yb(['releases', '-a', APP, '--json'])).stdout) as Release[];
  const v2 = rels.find((r) => r.version === 2)!;
  const v2Config = v2.imageId; // the image id is its config blob's digest, unique to this build
  const regData = join(p.dataDir, 'registry', 'data');
  assert.ok(existsSync(blobPath(regData, v2Config)), 'the config blob of v2 is in the registry');
  // Two more deploys: v4, v5. With retention 2, v2 and v1 (= v3) drop out; none of them is kept.
  await deployNew(p, repo, APP, 'registry four');
  await deployNew(p, repo, APP, 'registry five');
  const v5 = await release(p, APP);
  assert.equal(await statusWhenUp(v2.registryImage!), 404, 'the manifest of v2 is deleted');
  assert.equal(await statusWhenUp(rels.find((r) => r.version === 1)!.registryImage!), 404, 'the manifest of v1 (and v3) is deleted');
  assert.equal(await statusWhenUp(v5.registryImage!), 200, 'the current release keeps its manifest');
  await until('garbage collection to remove the blobs of v2', async () => !existsSync(blobPath(regData, v2Config)), 120_000);
  assert.ok(existsSync(blobPath(regData, v5.imageId)), 'the blobs of kept releases stay');
  await until(
    'the registry to serve again after garbage collection',
    async () => (await manifestStatus(v5.registryImage!).catch(() => ({ status: 0 }))).status === 200,
  );
  assert.equal((await p.fetchApp(HOST)).body.trim(), 'registry five');
});

test('destroying the app deletes its manifests from the registry', async () => {
  const rels = JSON.parse((await p.yb(['releases', '-a', APP, '--json'])).stdout) as Release[];
  const live = rels
    .filter((r) => r.registryImage)
    .sort((a, b) => a.version - b.version)
    .slice(-2); // v4, v5: kept by retention 2
  for (const r of live) assert.equal(await statusWhenUp(r.registryImage!), 200, `v${r.version} is kept before the destroy`);
  await p.yb(['apps:destroy', '-a', APP, '--confirm', APP]);
  for (const r of live) assert.equal(await statusWhenUp(r.registryImage!), 404, `v${r.version} is deleted with the app`);
});

test('YB_REGISTRY_URL: builds (a buildpack build here) are pushed to that registry and no embedded one is started', async () => {
  const dir = join(p.dataDir, 'external-registry');
  mkdirSync(dir, { recursive: true });
  const addr = `127.0.0.1:${await freePort()}`;
  writeFileSync(join(dir, 'config.yml'), renderRegistryConfig({ rootDirectory: join(dir, 'data'), addr }));
  const ext: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', openSync(join(dir, 'log'), 'a'), openSync(join(dir, 'log'), 'a')],
  });
  let q: Platform | undefined;
  try {
    await until('the external registry to answer', async () => (await fetch(`http://${addr}/v2/`).catch(() => null))?.ok);
    q = await startPlatform({ YB_REGISTRY_PUSH: 'true', YB_REGISTRY_URL: `http://${addr}`, YB_REGISTRY_ADDR: embeddedAddr });
    const src = await fixtureRepo('static-hello', q.dataDir);
    await q.yb(['apps:create', 'ext']);
    const out = await deployNew(q, src, 'ext', 'external', 'index.html');
    assert.equal((await q.fetchApp('ext.localhost')).body.trim(), 'external');
    assert.match(out, new RegExp(`Pushing to ${addr.replace(/\./g, '\\.')}/`));
    const rel = await release(q, 'ext');
    assert.equal(parts(rel.registryImage!).host, addr);
    assert.equal((await manifestStatus(rel.registryImage!)).status, 200);
    const catalog = (await (await fetch(`http://${addr}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.ok(catalog.repositories.includes(`${q.instance}/ext`));
    assert.ok(!existsSync(join(q.dataDir, 'registry')), 'nothing embedded was started');
  } finally {
    await q?.stop();
    ext.kill('SIGTERM');
  }
});

test('with YB_REGISTRY_PUSH off nothing is pushed and no registry runs', async () => {
  const q = await startPlatform({ YB_REGISTRY_ADDR: embeddedAddr });
  try {
    const src = await fixtureRepo('dockerfile-hello', q.dataDir);
    await q.yb(['apps:create', 'local']);
    const out = await deployNew(q, src, 'local', 'local only');
    assert.doesNotMatch(out, /Pushing to|Pushed \d+ layer/);
    assert.equal((await q.fetchApp('local.localhost')).body.trim(), 'local only');
    const rel = await release(q, 'local');
    assert.equal(rel.registryImage, undefined);
    assert.ok(!existsSync(join(q.dataDir, 'registry')), 'no registry data dir');
    assert.doesNotMatch(q.output(), /Registry:/);
  } finally {
    await q.stop();
  }
});
