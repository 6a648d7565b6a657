'use strict';
// Unit tests of the Go buildpack's pure parts: detect, the version go.mod asks for, the proxy chosen from
// GOPROXY, release's default web process and the metadata fragment. No network, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const { appDir } = require('../../test/app-dir.js');

const bp = path.resolve(__dirname, '..');
const app = (files) => appDir('yb-go-test-', files);
// Runs one function of lib/toolchain.sh in bash with the given build dir and environment.
const toolchain = (fn, buildDir, env = {}) =>
  execFileSync('bash', ['-c', `BUILD_DIR="$1"; . "${bp}/lib/toolchain.sh"; ${fn}`, 'x', buildDir], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  }).trim();

test('detect accepts go.mod and the GOPATH-era markers (Godeps, vendor.json, .godir, .go files at the root)', () => {
  for (const marker of ['go.mod', 'Godeps/Godeps.json', 'vendor/vendor.json', '.godir', 'main.go']) {
    assert.equal(spawnSync(`${bp}/bin/detect`, [app({ [marker]: '' })]).status, 0, marker);
  }
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'cmd/x/main.go': 'package main\n' })]).status, 1);
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'README.md': '' })]).status, 1);
});

// Runs one function of lib/layout.sh (with lib/output.sh) in bash for a build dir; returns status and output.
const layout = (fn, buildDir) =>
  spawnSync('bash', ['-c', `BUILD_DIR="$1"; . "${bp}/../lib/output.sh"; . "${bp}/lib/layout.sh"; ${fn}`, 'x', buildDir], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });

test('without go.mod: stdlib-only apps build in module mode, Godeps workspaces and vendor/ in GOPATH mode', () => {
  assert.equal(layout('go_mode', app({ 'main.go': '' })).stdout.trim(), 'module');
  assert.equal(layout('go_mode', app({ 'go.mod': 'module a\n', 'vendor/x/x.go': '' })).stdout.trim(), 'module');
  assert.equal(layout('go_mode', app({ 'Godeps/Godeps.json': '{}', 'Godeps/_workspace/src/a/a.go': '' })).stdout.trim(), 'gopath');
  assert.equal(layout('go_mode', app({ '.godir': 'a', 'vendor/x/x.go': '' })).stdout.trim(), 'gopath');
});

test('the import path comes from Godeps.json, vendor.json or .godir, else "app"; a hostile one is refused', () => {
  const path = (files) => layout('go_import_path', app(files));
  assert.equal(path({ 'Godeps/Godeps.json': '{"ImportPath": "github.com/a/b", "GoVersion": "go1.6"}' }).stdout.trim(), 'github.com/a/b');
  assert.equal(path({ 'vendor/vendor.json': '{"rootPath": "example.com/c"}' }).stdout.trim(), 'example.com/c');
  assert.equal(path({ '.godir': 'github.com/d/e/\n' }).stdout.trim(), 'github.com/d/e');
  assert.equal(path({ 'main.go': '' }).stdout.trim(), 'app');
  assert.equal(path({ 'Godeps/Godeps.json': 'not json' }).stdout.trim(), 'app');
  for (const bad of ['../../etc', '/abs/path', 'a/../../b', '-x', 'a b', 'a/$(id)', 'a;b']) {
    const r = path({ '.godir': `${bad}\n` });
    assert.equal(r.status, 1, bad);
    assert.match(r.stdout + r.stderr, /is not a valid Go import path/, bad);
  }
});

test("Godeps.json's GoVersion is the version asked for without go.mod", () => {
  const v = (files) => layout(`. "${bp}/lib/toolchain.sh"; go_requested_version`, app(files)).stdout.trim();
  assert.equal(v({ 'Godeps/Godeps.json': '{"GoVersion": "go1.6"}' }), '1.6');
  assert.equal(v({ 'Godeps/Godeps.json': '{"GoVersion": "go1.22.5"}' }), '1.22.5');
  assert.equal(v({ 'Godeps/Godeps.json': '{"GoVersion": "devel +abc; rm -rf /"}' }), '');
  assert.equal(v({ 'main.go': '' }), '');
});

test('the toolchain line wins over the go line; a go line alone is a release line or an exact version', () => {
  assert.equal(toolchain('go_requested_version', app({ 'go.mod': 'module a\n\ngo 1.22\n\ntoolchain go1.22.5\n' })), '1.22.5');
  assert.equal(toolchain('go_requested_version', app({ 'go.mod': 'module a\ngo 1.21\n' })), '1.21');
  assert.equal(toolchain('go_requested_version', app({ 'go.mod': 'module a\ngo 1.23.4 // pinned\n' })), '1.23.4');
  assert.equal(toolchain('go_requested_version', app({ 'go.mod': 'module a\n' })), '');
});

test('the first http(s) entry of GOPROXY is the proxy; direct and off are not', () => {
  const dir = app({ 'go.mod': 'module a\n' });
  assert.equal(toolchain('go_proxy_url', dir, { GOPROXY: 'direct,https://mirror.test/go/,https://other.test' }), 'https://mirror.test/go');
  assert.equal(toolchain('go_proxy_url', dir, { GOPROXY: 'https://a.test|https://b.test' }), 'https://a.test');
  assert.throws(() => toolchain('go_proxy_url', dir, { GOPROXY: 'direct' }));
});

test('release: web is the module binary, else the only binary, else nothing', () => {
  const release = (dir) => execFileSync(`${bp}/bin/release`, [dir], { encoding: 'utf8' });
  assert.match(release(app({ 'go.mod': 'module example.com/x/hello\n', 'bin/hello': '', 'bin/tool': '' })), /web: bin\/hello\n/);
  assert.match(release(app({ 'go.mod': 'module example.com/x/hello\n', 'bin/server': '' })), /web: bin\/server\n/);
  assert.match(release(app({ 'go.mod': 'module example.com/x/hello\n', 'bin/a': '', 'bin/b': '' })), /default_process_types: \{\}/);
});

test('metadata of a GOPATH-era app: Godeps.json Deps with their revisions; unreadable input records none', () => {
  const godeps = JSON.stringify({ Deps: [{ ImportPath: 'github.com/a/b', Rev: 'abc123' }, { ImportPath: 7 }] });
  const out = execFileSync('node', [`${bp}/lib/metadata.js`, '1.26.0', '--godeps'], { input: godeps, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out).dependencies, { 'github.com/a/b': 'abc123' });
  const bad = spawnSync('node', [`${bp}/lib/metadata.js`, '1.26.0', '--godeps'], { input: '{oops', encoding: 'utf8' });
  assert.equal(bad.status, 0);
  assert.deepEqual(JSON.parse(bad.stdout).dependencies, {});
});

test('metadata keeps direct requirements only', () => {
  const modJson = JSON.stringify({
    Require: [
      { Path: 'github.com/a/b', Version: 'v1.2.3' },
      { Path: 'github.com/c/d', Version: 'v0.1.0', Indirect: true },
    ],
  });
  const out = execFileSync('node', [`${bp}/lib/metadata.js`, '1.22.5'], { input: modJson, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { language: 'go', languageVersion: '1.22.5', dependencies: { 'github.com/a/b': 'v1.2.3' } });
});
