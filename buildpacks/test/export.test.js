'use strict';
// The driver's .buildpacks chain (issue #20): a buildpack's $BP_DIR/export is sourced before the next one runs, its
// own directory is writable even when the buildpack is not, shipped buildpacks still reach ../lib, and an export file
// cannot move the driver's directories. Runs bin/build on the host with two local buildpacks; no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { appDir } = require('./app-dir.js');

const driver = path.resolve(__dirname, '../bin/build');
const script = (body) => `#!/usr/bin/env bash\nset -euo pipefail\nBP_DIR=$(cd "$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)\n${body}\n`;
const buildpack = (compile) => {
  const dir = appDir('yb-bp-', {
    'bin/detect': script('echo "Chain"'),
    'bin/compile': script(compile),
    'bin/release': script("printf -- '---\\ndefault_process_types: {}\\n'"),
  });
  fs.chmodSync(dir, 0o555); // read-only, as the mounts are
  return dir;
};
const build = (bps, files = {}) => {
  const src = appDir('yb-src-', { '.buildpacks': `${bps.join('\n')}\n`, Procfile: 'web: true\n', ...files });
  const [cache, env, out] = ['yb-cache-', 'yb-env-', 'yb-out-'].map((p) => appDir(p, {}));
  const r = spawnSync('bash', [driver, src, cache, env, out], { encoding: 'utf8' });
  return { ...r, src };
};

test("a buildpack's export reaches the next buildpack of the chain", () => {
  const first = buildpack('echo "export CHAIN_GREETING=\'from the first buildpack\' PATH=/chain/bin:\\"\\$PATH\\"" > "$BP_DIR/export"');
  const second = buildpack('printf "%s|%s" "$CHAIN_GREETING" "${PATH%%:*}" > "$1/seen.txt"');
  const r = build([first, second]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(fs.readFileSync(path.join(r.src, 'seen.txt'), 'utf8'), 'from the first buildpack|/chain/bin');
  assert.equal(fs.existsSync(path.join(first, 'export')), false, 'the read-only buildpack itself is untouched');
});

test('shipped buildpacks still find the shared lib/ from their linked directory', () => {
  const r = build([path.resolve(__dirname, '../static')], { 'index.html': '<p>hi</p>' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /-----> .* app detected/);
  assert.ok(fs.existsSync(path.join(r.src, '.heroku/static/server.pl')), 'compile ran with its lib/');
});

test("an export file cannot move the driver's directories", () => {
  const evil = buildpack('echo "out_dir=/tmp/elsewhere" > "$BP_DIR/export"');
  const r = build([evil, buildpack('true')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /out_dir: readonly variable|the export file of the .* buildpack failed/);
});
