'use strict';
// Unit tests of the Node.js buildpack's version decisions (issue #20): the npm line bundled with each Node.js
// (used without engines.npm), the oldest Node.js that builds, and the options old npm understands. No network.
const { test } = require('node:test');
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
