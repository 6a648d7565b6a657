'use strict';
// Unit tests of lib/select.sh: buildpack references in BUILDPACK_URL and .buildpacks (comments, #refs), URLs the
// control plane fetched (found through $YB_BUILDPACK_MAP, shown by their URL), Heroku URLs of shipped languages,
// and the one-line refusals. Runs the functions in bash; no network, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'yb-select-test-'));
// A fetched buildpack as the control plane mounts it: a directory, and the map line naming its URL.
const fetched = tmp();
fs.mkdirSync(path.join(fetched, 'bin'));
for (const s of ['detect', 'compile', 'release']) fs.writeFileSync(path.join(fetched, 'bin', s), '#!/bin/sh\n', { mode: 0o755 });
const map = path.join(tmp(), 'map');
fs.writeFileSync(map, `https://bp.example/tools.git#v2\t${fetched}\n`);

function select({ files = {}, env = {} }) {
  const build = tmp();
  const envDir = tmp();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(build, name), text);
  for (const [name, text] of Object.entries(env)) fs.writeFileSync(path.join(envDir, name), text);
  const script =
    `root="${root}"; . "$root/lib/output.sh"; . "$root/lib/select.sh";` + ' select_buildpacks "$1" "$2" | while read -r d; do buildpack_name "$d"; done';
  const r = spawnSync('bash', ['-c', script, 'x', build, envDir], { encoding: 'utf8', env: { PATH: process.env.PATH, YB_BUILDPACK_MAP: map } });
  return { names: r.stdout.trim().split('\n').filter(Boolean), err: r.stderr };
}

test('.buildpacks: comments at line start or after a space; a #ref inside a URL is kept and found in the map', () => {
  const r = select({ files: { '.buildpacks': '# tools first\nhttps://bp.example/tools.git#v2  # pinned\r\n\nheroku/nodejs\n' } });
  assert.deepEqual(r.names, ['https://bp.example/tools.git#v2', 'nodejs']);
});

test('BUILDPACK_URL: a fetched URL, or a Heroku URL of a shipped language', () => {
  assert.deepEqual(select({ env: { BUILDPACK_URL: 'https://bp.example/tools.git#v2' } }).names, ['https://bp.example/tools.git#v2']);
  assert.deepEqual(select({ env: { BUILDPACK_URL: 'https://github.com/heroku/heroku-buildpack-python.git' } }).names, ['python']);
});

test('URLs that were not fetched, other schemes and unknown names fail with one line', () => {
  assert.match(
    select({ env: { BUILDPACK_URL: 'https://bp.example/page.html' } }).err,
    /a buildpack URL must name a tarball \(\.tgz or \.tar\.gz\) or a git repository/,
  );
  assert.match(select({ env: { BUILDPACK_URL: 'git@bp.example:me/x.git' } }).err, /only http\(s\) buildpack URLs are fetched/);
  assert.match(select({ env: { BUILDPACK_URL: 'cobol' } }).err, /unknown buildpack 'cobol'; shipped buildpacks: nodejs, python/);
});

// Issue #20: a Cloud Native Buildpacks project.toml chooses shipped buildpacks; others are skipped with a warning.
test('project.toml: the shipped buildpacks of its group, in order; others skipped; none left means detection', () => {
  const group = (ids, key = 'io.buildpacks.group') => ids.map((id) => `[[${key}]]\nid = "${id}"\n`).join('\n');
  const app = { 'package.json': '{}', 'index.html': '' };
  assert.deepEqual(select({ files: { ...app, 'project.toml': `[_]\nschema-version = "0.2"\n\n${group(['heroku/static'])}` } }).names, ['static']);
  assert.deepEqual(select({ files: { ...app, 'project.toml': group(['heroku/python', 'heroku/nodejs']) } }).names, ['python', 'nodejs']);
  assert.deepEqual(select({ files: { ...app, 'project.toml': group(['static'], 'build.buildpacks') } }).names, ['static']);
  const skipped = select({ files: { ...app, 'project.toml': group(['heroku/procfile', 'https://bp.example/x.tgz', 'heroku/static', '../../etc']) } });
  assert.deepEqual(skipped.names, ['static']);
  assert.match(skipped.err, /project\.toml names the buildpack 'heroku\/procfile', which is not one shipped here: skipped/);
  assert.match(skipped.err, /'\.\.\/\.\.\/etc', which is not one shipped here/);
  assert.deepEqual(select({ files: { ...app, 'project.toml': group(['heroku/procfile']) } }).names, ['nodejs']);
  assert.deepEqual(select({ files: { ...app, 'project.toml': '[_]\nschema-version = "0.2"\n' } }).names, ['nodejs']);
  // .buildpacks still wins over project.toml.
  assert.deepEqual(select({ files: { ...app, '.buildpacks': 'heroku/nodejs\n', 'project.toml': group(['heroku/static']) } }).names, ['nodejs']);
});

test('project.toml that is not TOML fails the build in one sentence', () => {
  const r = select({ files: { 'index.html': '', 'project.toml': '[[io.buildpacks.group]\nid = ' } });
  assert.deepEqual(r.names, []);
  assert.match(r.err, /project\.toml is not valid TOML/);
});
