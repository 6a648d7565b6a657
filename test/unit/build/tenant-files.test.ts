import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTenantFile, tenantFileExists, entryKind } from '../../../src/build/tenant-files.js';

const APP = { tree: 'the app', links: 'inside' } as const;
const OUT = { tree: 'the build output', links: 'none' } as const;

/** data/admin-token beside data/work/src, as in $YB_DATA_DIR. */
function layout(): { data: string; src: string } {
  const data = mkdtempSync(join(tmpdir(), 'yb-tf-'));
  writeFileSync(join(data, 'admin-token'), 'SECRET-TOKEN');
  const src = join(data, 'work', 'app-1', 'src');
  mkdirSync(join(src, 'conf'), { recursive: true });
  writeFileSync(join(src, 'Procfile.real'), 'web: run\n');
  writeFileSync(join(src, 'conf', 'app.json'), '{}');
  return { data, src };
}

test('plain files are read; absent ones are null; links inside the tree are followed with links: inside', async () => {
  const { data, src } = layout();
  assert.equal(await readTenantFile(src, 'Procfile.real', APP), 'web: run\n');
  assert.equal(await readTenantFile(src, 'Procfile', APP), null);
  assert.equal(await readTenantFile(src, 'nodir/Procfile', APP), null);
  symlinkSync('Procfile.real', join(src, 'Procfile'));
  symlinkSync('conf', join(src, 'cfg'));
  assert.equal(await readTenantFile(src, 'Procfile', APP), 'web: run\n');
  assert.equal(await readTenantFile(src, 'cfg/app.json', APP), '{}');
  assert.equal(await tenantFileExists(src, 'Procfile', APP), true);
  assert.equal(await tenantFileExists(src, 'conf', APP), false, 'a directory is not a file');
  rmSync(data, { recursive: true });
});

test('absolute, relative, chained and directory links out of the tree are refused without reading', async () => {
  const { data, src } = layout();
  const refused = async (rel: string, re: RegExp) => {
    const err = await readTenantFile(src, rel, APP).then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(err, `${rel} must be refused`);
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /SECRET-TOKEN/);
  };
  symlinkSync(join(data, 'admin-token'), join(src, 'abs'));
  symlinkSync('../../../admin-token', join(src, 'rel'));
  symlinkSync('/', join(src, 'root'));
  symlinkSync('.', join(src, 'd'));
  symlinkSync('d/d/d/../../..', join(src, 'up'));
  symlinkSync('/nonexistent-yb-test', join(src, 'dangling'));
  await refused('abs', /abs leads out of the app through a symbolic link \(abs -> \/.*admin-token\)/);
  await refused('rel', /rel leads out of the app through a symbolic link \(rel -> \.\.\/\.\.\/\.\.\/admin-token\)/);
  await refused(`root${data}/admin-token`, /leads out of the app through a symbolic link \(root -> \/\)/);
  await refused('up/admin-token', /up\/admin-token leads out of the app through a symbolic link/);
  // A dangling link out is refused as an existing one is: the answer says nothing of the host's files.
  await refused('dangling', /dangling leads out of the app/);
  await assert.rejects(tenantFileExists(src, 'rel', APP), /leads out of the app/);
  rmSync(data, { recursive: true });
});

test('with links: none any link is refused, even one that stays inside', async () => {
  const { data, src } = layout();
  symlinkSync('Procfile.real', join(src, 'result.json'));
  symlinkSync('conf', join(src, 'sub'));
  await assert.rejects(readTenantFile(src, 'result.json', OUT), /^YbError: result\.json in the build output is a symbolic link \(to Procfile\.real\)/);
  await assert.rejects(readTenantFile(src, 'sub/app.json', OUT), /sub in the build output is a symbolic link/);
  assert.equal(await readTenantFile(src, 'Procfile.real', OUT), 'web: run\n');
  rmSync(data, { recursive: true });
});

test('FIFOs, directories and oversized files are refused in one sentence; the reader never blocks', async () => {
  const { data, src } = layout();
  execFileSync('mkfifo', [join(src, 'Procfile')]);
  await assert.rejects(readTenantFile(src, 'Procfile', APP), /Procfile in the app is not a regular file/);
  await assert.rejects(readTenantFile(src, 'conf', APP), /conf in the app is not a regular file/);
  writeFileSync(join(src, 'big'), Buffer.alloc(2048));
  await assert.rejects(readTenantFile(src, 'big', { ...APP, maxBytes: 1024 }), /big in the app is larger than 1 KiB/);
  await assert.rejects(readTenantFile(src, '../admin-token', APP), /is not a path inside the app/);
  await assert.rejects(readTenantFile(src, '/etc/passwd', APP), /is not a path inside the app/);
  rmSync(data, { recursive: true });
});

test('entryKind does not follow links', async () => {
  const { data, src } = layout();
  symlinkSync('/', join(src, '.heroku'));
  assert.equal(await entryKind(join(src, '.heroku')), 'link');
  assert.equal(await entryKind(join(src, 'conf')), 'dir');
  assert.equal(await entryKind(join(src, 'Procfile.real')), 'other');
  assert.equal(await entryKind(join(src, 'none')), 'absent');
  rmSync(data, { recursive: true });
});
