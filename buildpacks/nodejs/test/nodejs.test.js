'use strict';
// Unit tests of the Node.js buildpack's version decisions (issue #20): the npm line bundled with each Node.js
// (used without engines.npm), the oldest Node.js that builds, and the options old npm understands. No network.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const bp = path.resolve(__dirname, '..');
// Runs bash code with lib/runtime.sh and lib/dependencies.sh sourced; returns status and output.
const sh = (code, env = {}) =>
  spawnSync(
    'bash',
    ['-c', `set -euo pipefail; BP_DIR="${bp}" TMP_DIR=/tmp; . "${bp}/../lib/output.sh"; . "${bp}/lib/runtime.sh"; . "${bp}/lib/dependencies.sh"; ${code}`],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
const out = (r) => r.stdout + r.stderr;

test('without engines.npm, each Node.js gets the npm line it was bundled with', () => {
  const lines = { '0.10.48': '2', '0.12.18': '2', '4.2.5': '2', '5.12.0': '3', '6.17.1': '3', '7.10.1': '4', '8.17.0': '6', '9.11.2': '5' };
  Object.assign(lines, { '10.24.1': '6', '14.21.3': '6', '15.14.0': '7', '16.20.2': '8', '17.9.1': '8', '18.20.8': '10' });
  Object.assign(lines, { '19.9.0': '9', '20.19.0': '10', '22.12.0': '10', '23.11.0': '10', '24.1.0': '11', '25.0.0': '11' });
  for (const [node, npm] of Object.entries(lines)) {
    const r = sh(`npm_range_for_node ${node}`);
    assert.equal(r.stdout.trim(), npm, `Node.js ${node}`);
  }
});

test('a Node.js older than 0.10 fails in one sentence naming the oldest supported version', () => {
  const r = sh('check_node_floor 0.8.28 0.8.x');
  assert.equal(r.status, 1);
  assert.match(
    out(r),
    /Node\.js 0\.8\.28 \(engines\.node "0\.8\.x"\) is too old to build here: the oldest supported version is Node\.js 0\.10 \(engines\.node "0\.10\.x"\)/,
  );
  for (const v of ['0.10.48', '0.12.18', '4.2.5', '24.1.0']) assert.equal(sh(`check_node_floor ${v} x`).status, 0, v);
});

test('node_at_least compares major, then minor', () => {
  const yes = (v, a, b) => sh(`node_at_least ${v} ${a} ${b}`).status === 0;
  assert.ok(yes('7.3.0', 7, 3) && yes('8.0.0', 7, 3) && yes('0.10.1', 0, 10) && yes('10.0.0', 7, 3));
  assert.ok(!yes('7.2.9', 7, 3) && !yes('4.9.1', 7, 3) && !yes('0.8.28', 0, 10) && !yes('0.9.0', 0, 10));
});

test('npm before 7 installs devDependencies with --production=false, npm 7 and later with --include=dev', () => {
  assert.equal(sh('NPM_MAJOR=2; npm_with_dev').stdout.trim(), '--production=false');
  assert.equal(sh('NPM_MAJOR=6; npm_with_dev').stdout.trim(), '--production=false');
  assert.equal(sh('NPM_MAJOR=7; npm_with_dev').stdout.trim(), '--include=dev');
});

test('the helper scripts run on the builder Node.js even when the app puts another one first on PATH', () => {
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-old-node-'));
  fs.writeFileSync(path.join(fake, 'node'), '#!/bin/sh\necho "SyntaxError: an old Node.js" >&2; exit 1\n', { mode: 0o755 });
  const r = sh(`PATH="${fake}:$PATH"; builder_node -p "[1, 2].map((x) => x * 2).join()"; node -e 1 || echo "app node refused"`);
  assert.match(r.stdout, /^2,4\napp node refused$/m, out(r));
});

test('the helper scripts start without NODE_EXTRA_CA_CERTS (parsed at every start); the build keeps it for npm and the registry', () => {
  const r = sh(`builder_node -p "'helper:' + (process.env.NODE_EXTRA_CA_CERTS || '-')"; echo "npm:$NODE_EXTRA_CA_CERTS"`, {
    NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
  });
  assert.match(r.stdout, /^helper:-\nnpm:\/etc\/ssl\/certs\/ca-certificates\.crt$/m, out(r));
});

test('a download that fails is tried again; the third failure shows npm’s words and fails in one sentence', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-fetch-'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-fetch-tmp-'));
  // A fake npm pack: fails while the counter file says so, then writes the tarball.
  const fake = (failures) =>
    `TMP_DIR=${tmp}; n=0; builder_npm() { n=$((n + 1)); if [ "$n" -le ${failures} ]; then echo "npm error network ECONNRESET" >&2; return 1; fi; ` +
    `touch "$4/npm-10.9.9.tgz"; }; sleep() { :; }; `;
  const once = sh(`${fake(1)} fetch_tarball npm 10.9.9 ${dir}`);
  assert.equal(once.status, 0, out(once));
  assert.equal(once.stdout.trim(), `${dir}/npm-10.9.9.tgz`, 'only the path on stdout');
  assert.match(once.stderr, /downloading npm@10\.9\.9 failed; trying again/);
  fs.rmSync(`${dir}/npm-10.9.9.tgz`);
  const never = sh(`${fake(3)} fetch_tarball npm 10.9.9 ${dir}`);
  assert.equal(never.status, 1);
  assert.match(out(never), /npm error network ECONNRESET[\s\S]*could not download npm@10\.9\.9 from the npm registry/);
});

test('a version lookup that fails is tried again; "no such version" is not a failure; the third failure is one sentence', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-view-tmp-'));
  const fake = (failures, answer) =>
    // The lookup runs in a command substitution (a subshell): the count of calls is kept in a file.
    `TMP_DIR=${tmp}; echo 0 > ${tmp}/n; builder_npm() { local n=$(( $(cat ${tmp}/n) + 1 )); echo "$n" > ${tmp}/n; ` +
    `if [ "$n" -le ${failures} ]; then echo "npm error errno EAI_AGAIN" >&2; return 1; fi; ${answer}; }; sleep() { :; }; `;
  const once = sh(`${fake(1, 'echo \'["9.1.0","9.2.0"]\'')} resolve_version pnpm 9`);
  assert.equal(once.status, 0, out(once));
  assert.equal(once.stdout.trim(), '9.2.0', 'only the version on stdout');
  assert.match(once.stderr, /looking up pnpm versions failed; trying again/);
  const none = sh(`${fake(0, "echo 'npm error No match found for version 99' >&2; return 1")} resolve_version pnpm 99`);
  assert.equal(none.status, 0, out(none));
  assert.equal(none.stdout, '');
  const never = sh(`${fake(3, 'echo "[]"')} resolve_version pnpm 9`);
  assert.equal(never.status, 1);
  assert.match(out(never), /EAI_AGAIN[\s\S]*could not look up pnpm versions in the npm registry/);
});

// Reusing node_modules (issue #21): a fake "npm ci" stands for npm; the key, the decisions and the copies are real.
// Every directory these tests make is under one temp root, removed at the end.
const nmRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-nm-'));
after(() => fs.rmSync(nmRoot, { recursive: true, force: true }));
const tmpDir = (prefix) => fs.mkdtempSync(path.join(nmRoot, prefix));
const app = (files = {}) => {
  const dir = tmpDir('build-');
  const base = {
    'package.json': JSON.stringify({ name: 'a', dependencies: { dep: '1.0.0' }, scripts: { start: 'node x.js', build: 'echo b' } }),
    'package-lock.json': JSON.stringify({
      name: 'a',
      lockfileVersion: 3,
      packages: { 'node_modules/dep': { version: '1.0.0', resolved: 'https://r.invalid/dep-1.0.0.tgz' } },
    }),
  };
  for (const [name, text] of Object.entries({ ...base, ...files })) if (text !== null) fs.writeFileSync(path.join(dir, name), text);
  return dir;
};
const cacheDir = () => tmpDir('cache-');
// The build context and a fake npm whose "ci" writes a small tree (a file, a .bin link) and counts its runs.
const ctx = (build, cache, extra = '') =>
  `BUILD_DIR=${build} CACHE_DIR=${cache} TMP_DIR=$(mktemp -d ${nmRoot}/tmp-XXXXXX) NODE_VERSION=24.1.0 NPM_VERSION=11.4.0 NPM_MAJOR=11; ${extra} ` +
  `npm() { [ "$1" = ci ] || return 9; mkdir -p node_modules/dep node_modules/.bin; echo "v1" > node_modules/dep/index.js; ` +
  `ln -s ../dep/index.js node_modules/.bin/dep; echo ran >> ${cache}/../$(basename ${cache}).npm-runs; echo "added 1 package"; }; `;
const npmRuns = (cache) => {
  const f = `${cache}.npm-runs`;
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
};
const install = (build, cache, extra = '') => sh(`${ctx(build, cache, extra)} install_dependencies npm`);
const refusal = (build, cache, extra = '') => sh(`${ctx(build, cache, extra)} node_modules_refusal "$TMP_DIR/inputs"`);

test('a second build with the same dependency inputs reuses node_modules instead of running npm ci', () => {
  const cache = cacheDir();
  const first = install(app(), cache);
  assert.equal(first.status, 0, out(first));
  assert.match(first.stdout, /-----> Installing dependencies \(npm ci\)\n {7}node_modules not reused: no complete copy from an earlier build\n/);
  assert.equal(npmRuns(cache), 1);
  const build = app();
  const second = install(build, cache);
  assert.equal(second.status, 0, out(second));
  assert.match(second.stdout, /^-----> Reusing node_modules: package\.json, lockfile, Node\.js, npm and npm settings unchanged since the last build$/m);
  assert.doesNotMatch(second.stdout, /npm ci/);
  assert.equal(npmRuns(cache), 1, 'npm did not run again');
  assert.equal(fs.readFileSync(path.join(build, 'node_modules/dep/index.js'), 'utf8'), 'v1\n');
  assert.equal(fs.readlinkSync(path.join(build, 'node_modules/.bin/dep')), '../dep/index.js', 'links stay links');
  // A copy, not a hard link: a build script that edits a file in place leaves the kept copy as npm installed it.
  fs.writeFileSync(path.join(build, 'node_modules/dep/index.js'), 'patched by the build script\n');
  assert.equal(fs.readFileSync(path.join(cache, 'node-modules/node_modules/dep/index.js'), 'utf8'), 'v1\n');
});

test('each changed dependency input is named and makes a full install', () => {
  const cache = cacheDir();
  assert.equal(install(app(), cache).status, 0);
  assert.equal(refusal(app(), cache).stdout, '', 'unchanged inputs: reusable');
  const cases = [
    [app({ 'package.json': JSON.stringify({ name: 'a', dependencies: { dep: '1.0.1' } }) }), '', /^package\.json changed since the last build$/],
    [app({ 'package-lock.json': JSON.stringify({ name: 'a', lockfileVersion: 3, packages: {} }, null, 1) }), '', /^package-lock\.json changed/],
    [app({ 'npm-shrinkwrap.json': '{}' }), '', /^npm-shrinkwrap\.json changed/],
    [app({ '.npmrc': 'legacy-peer-deps=true\n' }), '', /^\.npmrc changed/],
    [app(), 'NODE_VERSION=24.2.0;', /^Node\.js changed/],
    [app(), 'NPM_VERSION=11.5.0;', /^npm changed/],
    [app(), 'export NODE_ENV=development;', /^NODE_ENV or NPM_CONFIG_\* settings changed/],
    [app(), 'export NPM_CONFIG_OMIT=optional;', /^NODE_ENV or NPM_CONFIG_\* settings changed/],
    [app(), 'export npm_config_legacy_peer_deps=true;', /^NODE_ENV or NPM_CONFIG_\* settings changed/],
    [app(), 'export STACK=another;', /^the build machine changed/],
  ];
  for (const [build, extra, reason] of cases) {
    const r = refusal(build, cache, extra);
    assert.equal(r.status, 0, out(r));
    assert.match(r.stdout.trim(), reason, extra || fs.readdirSync(build).join());
  }
  // The key covers the buildpack's own install logic too.
  const bpCopy = tmpDir('bp-');
  fs.cpSync(bp, bpCopy, { recursive: true });
  fs.appendFileSync(path.join(bpCopy, 'lib/dependencies.sh'), '\n# changed\n');
  assert.match(refusal(app(), cache, `BP_DIR=${bpCopy};`).stdout.trim(), /^the buildpack changed/);
  // Other config vars do not make a reinstall.
  assert.equal(refusal(app(), cache, 'export GREETING=hi DATABASE_URL=x;').stdout, '');
});

test('node_modules is never reused when the source or the settings say not to; the kept copy is dropped', () => {
  const scripts = (s) => JSON.stringify({ name: 'a', dependencies: { dep: '1.0.0' }, scripts: s });
  const cases = [
    [app(), 'export NODE_MODULES_CACHE=false;', /^config var NODE_MODULES_CACHE is false$/],
    [app({ 'node_modules/': null }), '', /^the source has its own node_modules$/],
    ...['preinstall', 'install', 'postinstall', 'prepare', 'prepublish', 'dependencies'].map((s) => [
      app({ 'package.json': scripts({ [s]: 'node gen.js' }) }),
      '',
      new RegExp(`^package\\.json has install scripts \\(${s}\\), which may read any file of the source$`),
    ]),
    [app({ 'binding.gyp': '{}' }), '', /^binding\.gyp makes npm build a native addon/],
    [app({ 'package.json': JSON.stringify({ name: 'a', workspaces: ['packages/*'] }) }), '', /^package\.json has workspaces/],
    [
      app({ 'package.json': JSON.stringify({ name: 'a', dependencies: { lib: 'file:../lib' } }) }),
      '',
      /^dependencies "lib" is a local directory \("file:\.\.\/lib"\)$/,
    ],
    [app({ 'package.json': JSON.stringify({ name: 'a', devDependencies: { lib: '../lib' } }) }), '', /^devDependencies "lib" is a local directory/],
    [
      app({ 'package-lock.json': JSON.stringify({ packages: { 'node_modules/lib': { resolved: 'lib', link: true } } }) }),
      '',
      /^package-lock\.json has local links/,
    ],
    [app({ 'package-lock.json': JSON.stringify({ dependencies: { lib: { version: 'file:../../etc' } } }) }), '', /^package-lock\.json has local links/],
    [app({ 'package-lock.json': null }), '', /^there is no package-lock\.json$/],
    [app({ 'package-lock.json': '{"not json' }), '', /^package-lock\.json is not valid JSON$/],
  ];
  fs.mkdirSync(path.join(cases[1][0], 'node_modules'));
  for (const [build, extra, reason] of cases) {
    const r = refusal(build, cacheDir(), extra);
    assert.match(r.stdout.trim(), reason, out(r));
  }
  // A refused build installs as always and drops the copy an earlier build kept.
  const cache = cacheDir();
  assert.equal(install(app(), cache).status, 0);
  assert.ok(fs.existsSync(path.join(cache, 'node-modules/inputs')));
  const r = install(app({ 'package.json': scripts({ postinstall: 'node gen.js' }) }), cache);
  assert.match(r.stdout, /Installing dependencies \(npm ci\)\n {7}node_modules not reused: package\.json has install scripts \(postinstall\)/);
  assert.equal(npmRuns(cache), 2);
  assert.ok(!fs.existsSync(path.join(cache, 'node-modules')), 'the kept copy is gone');
});

test('attack: a package.json, lockfile or .npmrc that is a link is refused unread, even one naming a FIFO outside the build', () => {
  const outside = tmpDir('outside-');
  spawnSync('mkfifo', [path.join(outside, 'fifo')]);
  fs.writeFileSync(path.join(outside, 'secret.json'), '{"name":"secret"}');
  for (const name of ['package.json', 'package-lock.json', '.npmrc']) {
    for (const target of [path.join(outside, 'fifo'), path.join(outside, 'secret.json')]) {
      const build = app({ [name]: null });
      fs.symlinkSync(target, path.join(build, name));
      const r = spawnSync(
        'bash',
        [
          '-c',
          `BP_DIR=${bp}; . ${bp}/../lib/output.sh; . ${bp}/lib/runtime.sh; . ${bp}/lib/dependencies.sh; ${ctx(build, cacheDir())} node_modules_refusal "$TMP_DIR/i"`,
        ],
        {
          encoding: 'utf8',
          timeout: 60_000, // a read of the FIFO would block here forever
        },
      );
      assert.equal(r.error, undefined, `${name} -> ${target}: ${r.error}`);
      assert.equal(r.stdout.trim(), `${name} is a link`, out(r));
    }
  }
  const build = app({ 'package-lock.json': null });
  spawnSync('mkfifo', [path.join(build, 'package-lock.json')]);
  assert.equal(refusal(build, cacheDir()).stdout.trim(), 'package-lock.json is not a regular file');
});

test('attack: links in node_modules are kept as links, never followed out of the tree, on the way in and out', () => {
  const outside = tmpDir('outside-');
  fs.writeFileSync(path.join(outside, 'host-file'), 'not yours\n');
  const cache = cacheDir();
  const evil =
    `npm() { mkdir -p node_modules/dep; echo v1 > node_modules/dep/index.js; ln -s ${outside} node_modules/abs; ` +
    `ln -s ${path.relative('/tmp/x/node_modules', outside)} node_modules/rel; ln -s ${outside}/host-file node_modules/dep/file; echo ran >> ${cache}.npm-runs; };`;
  const first = sh(`${ctx(app(), cache)} ${evil} install_dependencies npm`);
  assert.equal(first.status, 0, out(first));
  const kept = path.join(cache, 'node-modules/node_modules');
  for (const l of ['abs', 'rel', 'dep/file']) assert.ok(fs.lstatSync(path.join(kept, l)).isSymbolicLink(), `${l} kept as a link`);
  assert.equal(spawnSync('grep', ['-r', '-l', 'not yours', path.join(cache, 'node-modules')]).status, 1, 'no file from outside was copied');
  const build = app();
  const second = sh(`${ctx(build, cache)} ${evil} install_dependencies npm`);
  assert.match(second.stdout, /Reusing node_modules/, out(second));
  assert.equal(fs.readlinkSync(path.join(build, 'node_modules/abs')), outside);
  assert.equal(fs.readlinkSync(path.join(build, 'node_modules/dep/file')), `${outside}/host-file`);
  assert.deepEqual(fs.readdirSync(outside), ['host-file'], 'nothing written outside');
  assert.equal(fs.readFileSync(path.join(outside, 'host-file'), 'utf8'), 'not yours\n');
  // A node_modules that is itself a link (a dependency's script could leave one) is not kept.
  const linked = sh(`${ctx(app(), cache, 'export NPM_CONFIG_X=1;')} npm() { ln -s ${outside} node_modules; }; install_dependencies npm`);
  assert.equal(linked.status, 0, out(linked));
  assert.ok(!fs.existsSync(path.join(cache, 'node-modules')), 'no copy kept of a linked node_modules');
  assert.deepEqual(fs.readdirSync(outside), ['host-file']);
});

test('a build stopped while copying node_modules into the cache leaves no copy that looks complete', () => {
  const cache = cacheDir();
  assert.equal(install(app(), cache).status, 0);
  // The next install (new inputs) is killed in the middle of its copy: cp copies part of the tree, then the build dies.
  const killed = sh(
    `${ctx(app(), cache, 'export NPM_CONFIG_Y=1;')} cp() { if [ "$1" = -a ] && [ "\${2##*/}" = node_modules ]; then mkdir -p "$3/dep"; kill -9 $$; fi; command cp "$@"; }; install_dependencies npm`,
  );
  assert.equal(killed.signal ?? killed.status, killed.signal ? 'SIGKILL' : 137, out(killed));
  assert.ok(fs.existsSync(path.join(cache, 'node-modules.new/node_modules/dep')), 'a half copy was left');
  assert.ok(!fs.existsSync(path.join(cache, 'node-modules.new/inputs')));
  // The old complete copy still answers for its own inputs, and the half copy is never used.
  assert.match(refusal(app(), cache, 'export NPM_CONFIG_Y=1;').stdout, /^NODE_ENV or NPM_CONFIG_\* settings changed/);
  fs.rmSync(path.join(cache, 'node-modules'), { recursive: true });
  assert.equal(refusal(app(), cache, 'export NPM_CONFIG_Y=1;').stdout.trim(), 'no complete copy from an earlier build');
  // A copy without its inputs file (written last) is not complete either.
  fs.renameSync(path.join(cache, 'node-modules.new'), path.join(cache, 'node-modules'));
  assert.equal(refusal(app(), cache).stdout.trim(), 'no complete copy from an earlier build');
  // The next full install replaces the leftovers with a complete copy.
  const r = install(app(), cache);
  assert.equal(r.status, 0, out(r));
  assert.ok(!fs.existsSync(path.join(cache, 'node-modules.new')));
  assert.equal(refusal(app(), cache).stdout, '');
});

test('an app without dependencies (npm ci makes no node_modules) is reused too, and gets no node_modules', () => {
  const cache = cacheDir();
  const none = `npm() { echo ran >> ${cache}.npm-runs; echo "up to date"; };`;
  const first = sh(`${ctx(app(), cache)} ${none} install_dependencies npm`);
  assert.equal(first.status, 0, out(first));
  assert.ok(fs.existsSync(path.join(cache, 'node-modules/none')) && fs.existsSync(path.join(cache, 'node-modules/inputs')));
  const build = app();
  const second = sh(`${ctx(build, cache)} ${none} install_dependencies npm`);
  assert.match(second.stdout, /Reusing node_modules/, out(second));
  assert.equal(npmRuns(cache), 1);
  assert.ok(!fs.existsSync(path.join(build, 'node_modules')));
  // Without its inputs file the marker is no complete copy.
  fs.rmSync(path.join(cache, 'node-modules/inputs'));
  assert.equal(refusal(app(), cache).stdout.trim(), 'no complete copy from an earlier build');
});
