// Issue #14 (items 3 and 7): which tags a tenant's image import may set, and which release images pruning and
// destroying may remove. Pure functions; no engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  importTagProblem,
  isImageName,
  isPlatformName,
  keptImages,
  normaliseTag,
  removableImages,
  type ReleaseImage,
} from '../../../src/deploy/image-policy.js';
import { tagsOf } from '../../../src/api/image-archive.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;

test('normaliseTag reads references the way the engine does', () => {
  assert.deepEqual(normaliseTag('nginx'), { repo: 'nginx', tag: 'latest' });
  assert.deepEqual(normaliseTag('docker.io/library/nginx:1.2'), { repo: 'nginx', tag: '1.2' });
  assert.deepEqual(normaliseTag('registry.local:5000/team/api'), { repo: 'registry.local:5000/team/api', tag: 'latest' });
  assert.deepEqual(normaliseTag('Acme/API:V1'), { repo: 'acme/api', tag: 'v1' });
});

test('image names: what the engine accepts, with no path segment that could leave /images/ of its API', () => {
  for (const ok of ['nginx', 'team-b/api:1.2', 'registry.local:5000/team/api:v1', 'a_b.c/d-e']) assert.ok(isImageName(ok), ok);
  for (const bad of ['../x', 'a/../b', 'a//b', './a', 'a/', '/a', 'a?b', 'a#b', 'a%2e']) assert.ok(!isImageName(bad), bad);
});

test('platform names: base images and app release images, however spelled', () => {
  for (const ref of ['yunbang/builder:latest', 'yunbang/stack', 'docker.io/yunbang/builder:latest', 'yunbang-app/web:abc', 'YUNBANG/svc-mysql:1'])
    assert.ok(isPlatformName(ref), ref);
  for (const ref of ['acme/yunbang:1', 'myyunbang/x', 'team-b/api:1']) assert.ok(!isPlatformName(ref), ref);
});

test("a tenant's import may not set a platform name, nor move a tag off an image its team does not own", () => {
  assert.match(importTagProblem('yunbang/builder:latest', null, false)!, /reserved for the platform's own images/);
  assert.match(importTagProblem('docker.io/yunbang/builder:latest', id('a'), true)!, /reserved/);
  assert.match(importTagProblem('team-a/api:1', id('a'), false)!, /already belongs to an image your team did not import/);
  assert.equal(importTagProblem('team-b/api:1', null, false), null, 'a new name');
  assert.equal(importTagProblem('team-b/api:1', id('b'), true), null, "the team's own image, imported again");
  for (const bad of ['../../containers/x', 'a//b:1', 'a/./b', '-x:1', 'a b:1', '']) assert.match(importTagProblem(bad, null, false)!, /not an image name/, bad);
});

const rel = (version: number, imageId: string, builder = 'buildpacks'): ReleaseImage => ({ version, imageId, builder });

test('pruning removes built images beyond the kept releases, never the current one, never a deploy:image one', () => {
  const releases = [rel(1, id('1')), rel(2, id('2'), 'image'), rel(3, id('3')), rel(4, id('1')), rel(5, id('5'))];
  assert.deepEqual(removableImages(releases, 2, new Set()), [id('3')], 'v1 shares its image with kept v4; v2 was imported');
  assert.deepEqual(removableImages(releases, 1, new Set()), [id('1'), id('3')]);
  assert.deepEqual(removableImages(releases, 1, new Set(), 3), [id('1')], 'the current release (a rollback to v3) keeps its image');
  assert.deepEqual(removableImages([rel(1, ''), rel(2, id('2'))], 1, new Set()), [], 'a release without an image id removes nothing');
});

test("an image another app's kept release uses is never removed, by pruning or by destroying", () => {
  const mine = [rel(1, id('1')), rel(2, id('2')), rel(3, id('3'), 'dockerfile')];
  const others = [
    { releases: [rel(1, id('9')), rel(2, id('1'), 'image')], current: 2 },
    { releases: [rel(7, id('2')), rel(8, id('8'))], current: 7 },
  ];
  const kept = keptImages(others, 1);
  assert.deepEqual([...kept].sort(), [id('1'), id('2'), id('8')].sort(), "each app's newest release and its current one");
  assert.deepEqual(removableImages(mine, 0, kept), [id('3')], 'destroy: only the image no one else keeps');
  assert.deepEqual([...keptImages(others, 2)].sort(), [id('1'), id('2'), id('8'), id('9')].sort());
});

test('tagsOf reads RepoTags of manifest.json and the older repositories file', () => {
  const manifest = [
    { Config: 'x.json', RepoTags: ['team-b/api:1', 'team-b/api:latest'], Layers: [] },
    { Config: 'y.json', RepoTags: null },
  ];
  assert.deepEqual(tagsOf(manifest, { 'yunbang/builder': { latest: 'abc' } }).sort(), ['team-b/api:1', 'team-b/api:latest', 'yunbang/builder:latest']);
  assert.deepEqual(tagsOf(null, null), []);
  assert.deepEqual(tagsOf({ not: 'an array' }, 'nor an object'), []);
});
