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

test('detect accepts go.mod only', () => {
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'go.mod': 'module a\n' })]).status, 0);
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'main.go': 'package main\n' })]).status, 1);
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
