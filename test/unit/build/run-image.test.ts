import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRunDockerfile, renderRuntimeDockerfile, runtimeFingerprint, runtimeListingKey, RuntimeMemo } from '../../../src/build/run-image.js';
import { registryEnv } from '../../../src/build/registries.js';

test('the runtime image adds .heroku to the stack; the run image adds the app on top and runs unprivileged', () => {
  const rt = renderRuntimeDockerfile('yunbang/stack:latest');
  assert.match(rt, /^FROM yunbang\/stack:latest\nCOPY --chown=1000:1000 runtime \/app\/.heroku\n/);
  assert.match(rt, /USER 1000:1000/);
  assert.equal(renderRunDockerfile('yunbang-runtime:abc'), 'FROM yunbang-runtime:abc\nCOPY --chown=1000:1000 src /app\n');
});

test('the runtime fingerprint follows the tree and the stack', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'yb-fp-'));
  writeFileSync(join(dir, 'a'), 'x');
  const one = await runtimeFingerprint(dir, 'stack1');
  assert.equal(await runtimeFingerprint(dir, 'stack1'), one);
  assert.notEqual(await runtimeFingerprint(dir, 'stack2'), one);
  writeFileSync(join(dir, 'b'), 'y');
  assert.notEqual(await runtimeFingerprint(dir, 'stack1'), one);
  rmSync(dir, { recursive: true });
});

test('the runtime fingerprint follows file bytes: a same-size file with the old mtime is another runtime', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync, statSync, utimesSync, symlinkSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'yb-fp-'));
  mkdirSync(join(dir, 'node', 'bin'), { recursive: true });
  const bin = join(dir, 'node', 'bin', 'node');
  writeFileSync(bin, 'genuine!');
  chmodSync(bin, 0o755);
  const genuine = await runtimeFingerprint(dir, 's');
  const { atime, mtime } = statSync(bin);
  writeFileSync(bin, 'trojan!!'); // same size
  utimesSync(bin, atime, mtime); // same mtime, as touch -r leaves it
  assert.notEqual(await runtimeFingerprint(dir, 's'), genuine);
  writeFileSync(bin, 'genuine!');
  assert.equal(await runtimeFingerprint(dir, 's'), genuine, 'bytes, not times: the same runtime unpacked again matches');
  chmodSync(bin, 0o644);
  assert.notEqual(await runtimeFingerprint(dir, 's'), genuine, 'the mode counts');
  chmodSync(bin, 0o755);
  // A link is hashed by its target, never followed: pointing it elsewhere changes the hash, what it names does not.
  const outside = mkdtempSync(join(tmpdir(), 'yb-fp-out-'));
  writeFileSync(join(outside, 'f'), 'a');
  symlinkSync(join(outside, 'f'), join(dir, 'link'));
  const linked = await runtimeFingerprint(dir, 's');
  writeFileSync(join(outside, 'f'), 'b');
  assert.equal(await runtimeFingerprint(dir, 's'), linked);
  rmSync(dir, { recursive: true });
  rmSync(outside, { recursive: true });
});

test('the listing key follows names, modes, sizes, mtimes, link targets and the stack, not bytes', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync, utimesSync, symlinkSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'yb-lk-'));
  mkdirSync(join(dir, 'node', 'bin'), { recursive: true });
  const bin = join(dir, 'node', 'bin', 'node');
  writeFileSync(bin, 'genuine!');
  symlinkSync('node', join(dir, 'node', 'bin', 'nodejs'));
  utimesSync(bin, 1_700_000_000, 1_700_000_000); // whole seconds: restored exactly below
  const key = await runtimeListingKey(dir, 's');
  assert.equal(await runtimeListingKey(dir, 's'), key);
  assert.notEqual(await runtimeListingKey(dir, 't'), key, 'the stack counts');
  const [atime, mtime] = [1_700_000_000, 1_700_000_000];
  writeFileSync(bin, 'trojan!!');
  utimesSync(bin, atime, mtime);
  // The forgery the key cannot see: why it may only pick among one app's own verified images (RuntimeMemo).
  assert.equal(await runtimeListingKey(dir, 's'), key);
  writeFileSync(bin, 'longer trojan');
  assert.notEqual(await runtimeListingKey(dir, 's'), key, 'the size counts');
  writeFileSync(bin, 'genuine!');
  utimesSync(bin, atime, mtime + 1);
  assert.notEqual(await runtimeListingKey(dir, 's'), key, 'the mtime counts');
  utimesSync(bin, atime, mtime);
  chmodSync(bin, 0o700);
  assert.notEqual(await runtimeListingKey(dir, 's'), key, 'the mode counts');
  rmSync(dir, { recursive: true });
});

test('the runtime memo answers only the scope (app and incarnation) that stored the key, for its last tree', () => {
  const memo = new RuntimeMemo(2);
  memo.set('shop\ninc1', 'k1', 'yunbang-runtime:aaa');
  assert.equal(memo.get('shop\ninc1', 'k1'), 'yunbang-runtime:aaa');
  assert.equal(memo.get('shop\ninc1', 'k2'), undefined, 'another listing: hash it');
  // The same listing in another team's app, or in a re-creation of the app: never this app's image.
  assert.equal(memo.get('blog\ninc9', 'k1'), undefined);
  assert.equal(memo.get('shop\ninc2', 'k1'), undefined);
  memo.set('shop\ninc1', 'k2', 'yunbang-runtime:bbb');
  assert.equal(memo.get('shop\ninc1', 'k1'), undefined, 'only the last tree is remembered');
  memo.set('b\n1', 'k', 't');
  memo.set('c\n1', 'k', 't');
  assert.equal(memo.get('shop\ninc1', 'k2'), undefined, 'bounded: the oldest scope goes first');
  assert.equal(memo.get('c\n1', 'k'), 't');
});

test('registry settings and the CA bundle reach builds only when set', () => {
  assert.deepEqual(registryEnv({ npmRegistry: '', pipIndex: '', goProxy: '' }, null), {});
  const env = registryEnv({ npmRegistry: 'http://mirror.invalid/npm/', pipIndex: '', goProxy: 'off' }, '/ca.pem');
  assert.equal(env.NPM_CONFIG_REGISTRY, 'http://mirror.invalid/npm/');
  assert.equal(env.GOPROXY, 'off');
  assert.equal(env.SSL_CERT_FILE, '/ca.pem');
  assert.equal(env.PIP_INDEX_URL, undefined);
  assert.equal(env.COMPOSER_REPO_URL, undefined);
  // Issue #20: YB_COMPOSER_REPO reaches PHP builds as COMPOSER_REPO_URL.
  assert.equal(
    registryEnv({ npmRegistry: '', pipIndex: '', goProxy: '', composerRepo: 'http://composer.invalid/' }, null).COMPOSER_REPO_URL,
    'http://composer.invalid/',
  );
});

test('the Maven mirror that stands in for Central is read from settings.xml', async () => {
  const { mavenMirrorFrom } = await import('../../../src/build/registries.js');
  const xml = `<settings><mirrors>
    <mirror><id>other</id><mirrorOf>internal-repo</mirrorOf><url>http://no.invalid/</url></mirror>
    <mirror><id>corp</id><mirrorOf>central,!snapshots</mirrorOf><url> http://maven.mirror.invalid/repo </url></mirror>
  </mirrors></settings>`;
  assert.equal(mavenMirrorFrom(xml), 'http://maven.mirror.invalid/repo');
  assert.equal(mavenMirrorFrom('<settings/>'), '');
});

test('the crates.io replacement registry is read from cargo config.toml', async () => {
  const { cargoMirrorFrom } = await import('../../../src/build/registries.js');
  const toml = '[net]\nretry = 2\n\n[source.crates-io]\nreplace-with = "corp"\n\n[source.corp]\nregistry = "sparse+http://cargo.mirror.invalid/index/"\n';
  assert.equal(cargoMirrorFrom(toml), 'sparse+http://cargo.mirror.invalid/index/');
  assert.equal(cargoMirrorFrom('[source.crates-io]\n'), '');
  assert.equal(cargoMirrorFrom(''), '');
});
