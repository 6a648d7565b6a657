'use strict';
// Unit tests of the Python buildpack's pure parts: detect, the Pipfile.lock reader (requirements with hashes,
// markers and extras; the Python version it asks for; what it refuses), the version check and the metadata
// fragment's direct dependencies. No network, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { appDir } = require('../../test/app-dir.js');

const bp = path.resolve(__dirname, '..');
const app = (files) => appDir('yb-python-test-', files);
const lockFile = (lock) => path.join(app({ 'Pipfile.lock': JSON.stringify(lock) }), 'Pipfile.lock');
const reader = (args) => spawnSync('python3', [`${bp}/lib/pipfile-lock.py`, ...args], { encoding: 'utf8' });
// Runs check_requested_version of lib/runtime.sh in bash for an app directory; returns its status and output.
const versionCheck = (dir) =>
  spawnSync(
    'bash',
    [
      '-c',
      `BP_DIR="${bp}" BUILD_DIR="$1" CACHE_DIR=/nonexistent TMP_DIR=/tmp; . "${bp}/../lib/output.sh"; . "${bp}/lib/runtime.sh"; check_requested_version`,
      'x',
      dir,
    ],
    { encoding: 'utf8' },
  );

const H1 = 'sha256:' + 'a'.repeat(64);
const H2 = 'sha256:' + 'b'.repeat(64);

test('detect accepts requirements.txt, Pipfile.lock, Pipfile and pyproject.toml, nothing else', () => {
  for (const marker of ['requirements.txt', 'Pipfile.lock', 'Pipfile', 'pyproject.toml']) {
    assert.equal(spawnSync(`${bp}/bin/detect`, [app({ [marker]: '' })]).status, 0, marker);
  }
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'app.py': '' })]).status, 1);
});

test('detect accepts .py files with a Procfile that runs python (a standard-library app), nothing looser', () => {
  const accepts = (files) => spawnSync(`${bp}/bin/detect`, [app(files)]).status === 0;
  for (const web of ['python server.py', 'python3 server.py', 'python3.11 -u server.py', 'exec python server.py', '  python']) {
    assert.ok(accepts({ 'server.py': '', Procfile: `web: ${web}\n` }), web);
  }
  assert.ok(accepts({ 'server.py': '', Procfile: 'web: node x.js\nworker: python3 worker.py\n' }), 'any process type');
  assert.ok(!accepts({ Procfile: 'web: python server.py\n' }), 'no .py file');
  assert.ok(!accepts({ 'server.py': '' }), 'no Procfile');
  assert.ok(!accepts({ 'server.py': '', Procfile: 'web: pythonista server.py\n' }), 'another program');
  assert.ok(!accepts({ 'server.py': '', Procfile: 'web: gunicorn app:app\n# web: python x.py\n' }), 'a comment');
  assert.ok(!accepts({ 'lib/server.py': '', Procfile: 'web: python lib/server.py\n' }), '.py files only below the root');
});

test('Pipfile.lock default section becomes pinned requirements with markers, extras and hashes', () => {
  const lock = lockFile({
    _meta: { requires: { python_version: '3.11' } },
    default: {
      Flask: { version: '==3.1.0', hashes: [H1, H2], extras: ['async'] },
      colorama: { version: '==0.4.6', hashes: [H2], markers: "sys_platform == 'win32'" },
    },
    develop: { pytest: { version: '==8.0.0', hashes: [H1] } },
  });
  assert.equal(
    reader(['requirements', lock]).stdout,
    `Flask[async]==3.1.0 --hash=${H1} --hash=${H2}\ncolorama==0.4.6 ; sys_platform == 'win32' --hash=${H2}\n`,
  );
  assert.equal(reader(['requirements', lock, '--no-hashes']).stdout, "Flask[async]==3.1.0\ncolorama==0.4.6 ; sys_platform == 'win32'\n");
});

test('one entry without hashes (git dependency) means no hashes at all, as pip checks all or none', () => {
  const lock = lockFile({
    default: {
      requests: { version: '==2.32.3', hashes: [H1] },
      mylib: { git: 'https://git.example/mylib.git', ref: 'abc123' },
    },
  });
  assert.equal(reader(['requirements', lock]).stdout, 'mylib @ git+https://git.example/mylib.git@abc123\nrequests==2.32.3\n');
});

test('the reader refuses unpinned versions, paths outside the app, bad names and files that are not locks', () => {
  const refused = (lock, pattern) => {
    const r = reader(['requirements', lockFile(lock)]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, pattern);
  };
  refused({ default: { flask: { version: '*' } } }, /flask has the version '\*', not a pinned ==version/);
  refused({ default: { mine: { path: '../elsewhere' } } }, /outside the app/);
  refused({ default: { 'bad name;rm': { version: '==1' } } }, /is not a package name/);
  refused({ default: { x: {} } }, /has no version, git, file or path/);
  refused({ default: [] }, /no "default" object/);
  const notJson = path.join(app({ 'Pipfile.lock': '{ nope' }), 'Pipfile.lock');
  assert.match(reader(['requirements', notJson]).stderr, /Pipfile.lock cannot be read/);
});

test("the lock's _meta.requires is checked like runtime.txt: 3.11 passes, other versions fail clearly", () => {
  const lock = (requires) => JSON.stringify({ _meta: { requires }, default: {} });
  assert.equal(versionCheck(app({ 'Pipfile.lock': lock({ python_version: '3.11' }) })).status, 0);
  assert.equal(versionCheck(app({ 'Pipfile.lock': lock({ python_full_version: '3.11.2' }) })).status, 0);
  assert.equal(versionCheck(app({ 'Pipfile.lock': lock({}) })).status, 0);
  const r = versionCheck(app({ 'Pipfile.lock': lock({ python_version: '3.12' }) }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Pipfile.lock asks for Python '3.12', but this platform provides Python 3.11 only/);
  assert.equal(versionCheck(app({ 'runtime.txt': 'python-3.10.4\n' })).status, 1);
});

test('metadata: direct dependencies are the Pipfile [packages], else every locked package', () => {
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-python-site-'));
  for (const [name, version] of [
    ['gunicorn', '23.0.0'],
    ['packaging', '24.2'],
  ]) {
    const info = path.join(site, `${name}-${version}.dist-info`);
    fs.mkdirSync(info);
    fs.writeFileSync(path.join(info, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
  }
  const lock = JSON.stringify({ default: { gunicorn: { version: '==23.0.0' }, packaging: { version: '==24.2' } } });
  const meta = (files) => JSON.parse(execFileSync('python3', [`${bp}/lib/metadata.py`, app(files), site, '3.11.2'], { encoding: 'utf8' }));
  assert.deepEqual(meta({ 'Pipfile.lock': lock, Pipfile: '[packages]\ngunicorn = "==23.0.0"\n' }).dependencies, { gunicorn: '23.0.0' });
  assert.deepEqual(meta({ 'Pipfile.lock': lock }).dependencies, { gunicorn: '23.0.0', packaging: '24.2' });
});
