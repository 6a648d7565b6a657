// Issue #6 (bad input): uploaded source archives cannot write outside the build directory or smuggle in links
// to host files; the build is refused in one sentence and nothing is released. Real platform, real GNU tar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, type Platform } from '../../helpers/platform.js';

const run = promisify(execFile);
let p: Platform;

before(async () => {
  p = await startPlatform();
  await p.yb(['apps:create', 'arch']);
});

after(async () => {
  await p?.stop();
});

test('an archive with ../ members is refused and writes nothing outside', async () => {
  const dir = join(p.dataDir, 'evil1');
  mkdirSync(join(dir, 'a'), { recursive: true });
  writeFileSync(join(dir, 'a', 'index.html'), 'hi');
  const tarball = join(p.dataDir, 'evil1.tar');
  // GNU tar can write such members with --transform; the marker name is unique to this run.
  const marker = `yb-escape-${p.instance}.txt`;
  writeFileSync(join(dir, marker), 'x');
  await run('tar', ['-C', dir, '-cf', tarball, '--transform', `s,^${marker}$,../../${marker},`, 'a', marker]);
  const r = await p.yb(['builds:create', '-a', 'arch', '--source', tarball], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /could not be unpacked: .*\.\./);
  assert.equal(existsSync(join(p.dataDir, 'work', '..', marker)), false);
  assert.equal(existsSync(join(p.dataDir, marker)), false);
  const rel = JSON.parse((await p.yb(['releases', '-a', 'arch', '--json'])).stdout) as unknown[];
  assert.equal(rel.length, 0);
});

test('a symbolic link pointing outside the source is refused before anything reads through it', async () => {
  const dir = join(p.dataDir, 'evil2');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), 'hi');
  symlinkSync('/etc/passwd', join(dir, 'Procfile'));
  const r = await p.yb(['builds:create', '-a', 'arch', '--source', dir], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /symbolic link that points outside it: Procfile -> \/etc\/passwd/);
  assert.doesNotMatch(r.stdout, /root:x:0:0/);
});
