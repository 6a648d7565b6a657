// Which buildpack references the control plane fetches (tarball and git URLs) and which it leaves to the build
// driver (shipped names, Heroku's official URLs of shipped languages, local paths, other URLs); .buildpacks parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBuildpackRef, parseBuildpacksFile } from '../../../src/build/buildpack-fetch.js';

const shipped = ['nodejs', 'python', 'static'];

test('tarball URLs (.tgz, .tar.gz) are fetched as they are, fragment included', () => {
  assert.deepEqual(classifyBuildpackRef('https://example.test/bp/hello.tgz', shipped), { kind: 'tarball', url: 'https://example.test/bp/hello.tgz' });
  assert.deepEqual(classifyBuildpackRef('http://127.0.0.1:8000/a/b.tar.gz?x=1', shipped), { kind: 'tarball', url: 'http://127.0.0.1:8000/a/b.tar.gz?x=1' });
});

test('git URLs (.git) are fetched with their #ref; a ref with odd characters is refused', () => {
  assert.deepEqual(classifyBuildpackRef('https://example.test/me/bp.git', shipped), { kind: 'git', url: 'https://example.test/me/bp.git', ref: '' });
  assert.deepEqual(classifyBuildpackRef('https://example.test/me/bp.git#v1.2', shipped), { kind: 'git', url: 'https://example.test/me/bp.git', ref: 'v1.2' });
  assert.deepEqual(classifyBuildpackRef('https://example.test/me/bp.git#feature/x', shipped), {
    kind: 'git',
    url: 'https://example.test/me/bp.git',
    ref: 'feature/x',
  });
  assert.throws(() => classifyBuildpackRef('https://example.test/me/bp.git#--upload-pack=evil', shipped), /is not a git branch, tag or commit/);
  assert.throws(() => classifyBuildpackRef('https://example.test/me/bp.git#a b', shipped), /is not a git branch, tag or commit/);
});

test("Heroku's official URLs of a shipped language, names, paths, other URLs and schemes are the driver's", () => {
  for (const ref of [
    'https://github.com/heroku/heroku-buildpack-nodejs.git',
    'https://github.com/heroku/heroku-buildpack-python',
    'nodejs',
    'heroku/python',
    '/buildpacks/static',
    'https://example.test/page.html',
    'git@example.test:me/bp.git',
    'ftp://example.test/bp.tgz',
  ])
    assert.deepEqual(classifyBuildpackRef(ref, shipped), { kind: 'driver' }, ref);
  // heroku-buildpack-<not shipped> is a git repository like any other.
  assert.equal(classifyBuildpackRef('https://github.com/heroku/heroku-buildpack-ruby.git', shipped).kind, 'git');
});

test('.buildpacks: one reference a line; # starts a comment at the line start or after a space, not inside a URL', () => {
  const text = '# first the tools\r\nhttps://example.test/tools.git#v2   # pinned\n\n  nodejs\n\thttps://example.test/x.tgz\n';
  assert.deepEqual(parseBuildpacksFile(text), ['https://example.test/tools.git#v2', 'nodejs', 'https://example.test/x.tgz']);
  assert.deepEqual(parseBuildpacksFile('# nothing\n\n'), []);
});
