// Issue #15 item 6: names of images in the platform's registry (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appRepository, digestRef, manifestsToDelete, parseDigestRef, pushTag, registryHost } from '../../../src/registry/registry-refs.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

test('the registry host is host:port of a URL or an address', () => {
  assert.equal(registryHost('http://127.0.0.1:5000/'), '127.0.0.1:5000');
  assert.equal(registryHost('127.0.0.1:5001'), '127.0.0.1:5001');
  assert.equal(registryHost('https://registry.internal:443'), 'registry.internal');
});

test('a build is pushed as <host>/<instance>/<app>:<build id>, each part a valid path component', () => {
  assert.deepEqual(pushTag('127.0.0.1:5000', 'yunbang', 'hello', 'lx9abc12'), {
    repo: '127.0.0.1:5000/yunbang/hello',
    tag: 'lx9abc12',
    ref: '127.0.0.1:5000/yunbang/hello:lx9abc12',
  });
  assert.equal(appRepository('My_Instance', 'app-1'), 'my_instance/app-1');
  assert.equal(appRepository('--x..y--', 'a'), 'x-y/a');
  assert.equal(appRepository('', 'a'), 'x/a');
});

test('a release keeps a digest reference; anything but a sha256 digest is refused', () => {
  assert.equal(digestRef('127.0.0.1:5000/yunbang/hello', D1), `127.0.0.1:5000/yunbang/hello@${D1}`);
  assert.throws(() => digestRef('127.0.0.1:5000/yunbang/hello', 'sha256:xyz'), /not a sha256 digest/);
});

test('digest references parse back; names with empty or dot segments do not', () => {
  assert.deepEqual(parseDigestRef(`127.0.0.1:5000/yunbang/hello@${D1}`), { host: '127.0.0.1:5000', name: 'yunbang/hello', digest: D1 });
  assert.equal(parseDigestRef('yunbang-app/hello:abc'), null);
  assert.equal(parseDigestRef(`127.0.0.1:5000/yunbang/../x@${D1}`), null);
  assert.equal(parseDigestRef(`127.0.0.1:5000//x@${D1}`), null);
});

test('manifests to delete: dropped digests of this registry that no kept release names, each once', () => {
  const h = '127.0.0.1:5000';
  const r = (d: string, host = h) => `${host}/yunbang/app@${d}`;
  assert.deepEqual(manifestsToDelete([r(D1), r(D1), r(D2)], [r(D2)], h), [{ name: 'yunbang/app', digest: D1 }]);
  assert.deepEqual(manifestsToDelete([r(D1, 'other:5000')], [], h), [], 'another registry is not ours to delete from');
  assert.deepEqual(manifestsToDelete(['not a ref'], [], h), []);
  assert.deepEqual(manifestsToDelete([r(D1)], [], h), [{ name: 'yunbang/app', digest: D1 }]);
});
