// Issue #14 item 5: a source that unpacks to more than YB_MAX_UNPACKED_MB or YB_MAX_UNPACKED_FILES is refused while
// it is unpacked, before it fills the disk etcd lives on: a git push of 100 paths naming one zero blob (a few KiB on
// the wire), a gzip bomb and a many-files tarball uploaded with `yb builds:create`; a buildpack tarball that is a
// gzip bomb likewise. Each is refused in one sentence, leaves no work directory behind, the previous release keeps
// serving, and the next push deploys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';

const run = promisify(execFile);
const APP = 'bomb';
const EXPECTED = readFileSync(join(ROOT, 'test', 'fixtures', 'apps', 'static-hello', 'index.html'), 'utf8').trim();
let p: Platform;
let repo: string;

before(async () => {
  // YB_OUTBOUND_PRIVATE: the buildpack tarball below is served from 127.0.0.1.
  p = await startPlatform({ YB_MAX_UNPACKED_MB: '32', YB_MAX_UNPACKED_FILES: '1000', YB_BUILDPACK_FETCH_MB: '1', YB_OUTBOUND_PRIVATE: 'true' });
  await p.yb(['apps:create', APP, '--no-remote']);
  repo = await fixtureRepo('static-hello', p.dataDir);
});

after(async () => {
  await p?.stop();
});

const url = () => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`;

/** Work directories of this app's builds still on disk. */
function leftovers(): string[] {
  const work = join(p.dataDir, 'work');
  return existsSync(work) ? readdirSync(work).filter((n) => n.startsWith(`${APP}-`)) : [];
}

async function serving(): Promise<string> {
  return (await p.fetchApp(`${APP}.localhost`)).body.trim();
}

test('a first push deploys (the release the refused pushes must leave serving)', async () => {
  const r = await git(repo, ['push', url(), 'main']);
  assert.equal(r.code, 0, r.output);
  assert.equal(await serving(), EXPECTED);
});

test('a git push of 100 paths naming one 8 MiB zero blob (800 MiB unpacked) is refused while unpacking', async () => {
  const bomb = join(p.dataDir, 'bomb-blob');
  await run('sh', ['-c', `head -c 8388608 /dev/zero > ${bomb}`]);
  const sha = (await run('git', ['-C', repo, 'hash-object', '-w', bomb])).stdout.trim();
  for (let i = 0; i < 100; i++) await run('git', ['-C', repo, 'update-index', '--add', '--cacheinfo', `100644,${sha},zeros/${i}.bin`]);
  await git(repo, ['-c', 'user.email=t@example.com', '-c', 'user.name=test', 'commit', '-qm', 'bomb']);
  const r = await git(repo, ['push', url(), 'main']);
  assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /remote: ! +the source unpacks to more than 32 MiB \(YB_MAX_UNPACKED_MB\)/);
  assert.match(r.output, /Push rejected; the previous release keeps serving/);
  // The rest of the 800 MiB is never read: the connection is closed once the answer is out, and the hook shows
  // nothing after the answer (no "curl: (55)", no "could not be started").
  assert.doesNotMatch(r.output, /curl|could not be started/);
  assert.deepEqual(leftovers(), []);
  assert.equal(await serving(), EXPECTED);
  await git(repo, ['rm', '-rq', 'zeros']);
  await commitAll(repo, 'no bomb');
});

test('a gzip bomb uploaded with builds:create (256 MiB of zeros in ~256 KiB) is refused while unpacking', async () => {
  const dir = join(p.dataDir, 'gz-bomb');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), 'bomb\n');
  await run('truncate', ['-s', '256M', join(dir, 'zeros.bin')]); // a hole on disk, 256 MiB of zeros in the archive
  const tarball = join(p.dataDir, 'bomb.tar.gz');
  await run('tar', ['-C', dir, '-czf', tarball, 'index.html', 'zeros.bin']);
  const r = await p.yb(['builds:create', '-a', APP, '--source', tarball], { allowFail: true });
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stdout + r.stderr, /the source unpacks to more than 32 MiB \(YB_MAX_UNPACKED_MB\)/);
  assert.deepEqual(leftovers(), []);
  assert.equal(await serving(), EXPECTED);
});

test('a tarball of 1,500 empty files (an inode bomb) is refused past YB_MAX_UNPACKED_FILES', async () => {
  const dir = join(p.dataDir, 'inode-bomb');
  mkdirSync(join(dir, 'many'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), 'bomb\n');
  for (let i = 0; i < 1500; i++) writeFileSync(join(dir, 'many', `${i}`), '');
  const tarball = join(p.dataDir, 'many.tar.gz');
  await run('tar', ['-C', dir, '-czf', tarball, '.']);
  const r = await p.yb(['builds:create', '-a', APP, '--source', tarball], { allowFail: true });
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stdout + r.stderr, /the source has more than 1000 files and directories \(YB_MAX_UNPACKED_FILES\)/);
  assert.deepEqual(leftovers(), []);
  assert.equal(await serving(), EXPECTED);
});

test('a buildpack tarball that is a gzip bomb (64 MiB of zeros in ~64 KiB) is refused while it unpacks', async () => {
  const dir = join(p.dataDir, 'bp-bomb');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const s of ['detect', 'compile', 'release']) writeFileSync(join(dir, 'bin', s), '#!/bin/sh\n', { mode: 0o755 });
  await run('truncate', ['-s', '64M', join(dir, 'zeros.bin')]);
  const tarball = join(p.dataDir, 'bp-bomb.tgz');
  await run('tar', ['-C', dir, '-czf', tarball, '.']);
  const body = readFileSync(tarball);
  assert.ok(body.length < 1024 * 1024, 'under the 1 MiB download limit');
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const bpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bomb.tgz`;
    await p.yb(['config:set', `BUILDPACK_URL=${bpUrl}`, '-a', APP]);
    writeFileSync(join(repo, 'index.html'), 'with the bomb buildpack\n');
    await commitAll(repo, 'buildpack bomb');
    const r = await git(repo, ['push', url(), 'main']);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /could not be used: the tarball unpacks to more than 4 MiB \(4 × YB_BUILDPACK_FETCH_MB\)/);
    assert.deepEqual(
      readdirSync(join(p.dataDir, 'buildpacks')).filter((n) => n.includes('.tmp-')),
      [],
      'nothing of it is left',
    );
    assert.deepEqual(leftovers(), []);
    assert.equal(await serving(), EXPECTED);
  } finally {
    server.close();
    await p.yb(['config:unset', 'BUILDPACK_URL', '-a', APP]);
  }
});

test('the next push deploys', async () => {
  writeFileSync(join(repo, 'index.html'), 'after the bombs\n');
  await commitAll(repo, 'after');
  const r = await git(repo, ['push', url(), 'main']);
  assert.equal(r.code, 0, r.output);
  assert.equal(await serving(), 'after the bombs');
  assert.deepEqual(leftovers(), []);
});
