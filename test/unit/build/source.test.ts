import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refuseEscapingLinks } from '../../../src/build/source.js';
import { resolveInTree } from '../../../src/build/tenant-files.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'yb-src-'));
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'f'), 'x');
  return root;
}

test('links inside the tree are fine; absolute targets and .. past the top escape', async () => {
  const root = tree();
  symlinkSync('../b/f', join(root, 'a', 'b', 'in'));
  symlinkSync('.', join(root, 'here'));
  assert.deepEqual(await resolveInTree(root, 'a/b/in'), { kind: 'inside', parts: ['a', 'b', 'f'], exists: true });
  assert.equal((await resolveInTree(root, 'here/a')).kind, 'inside');
  await refuseEscapingLinks(root);
  symlinkSync('../../../x', join(root, 'a', 'b', 'up'));
  assert.deepEqual(await resolveInTree(root, 'a/b/up'), { kind: 'escapes', link: 'a/b/up', target: '../../../x' });
  await assert.rejects(refuseEscapingLinks(root), /points outside it: a\/b\/up -> \.\.\/\.\.\/\.\.\/x/);
  rmSync(join(root, 'a', 'b', 'up'));
  symlinkSync('/etc/passwd', join(root, 'Procfile'));
  assert.equal((await resolveInTree(root, 'Procfile')).kind, 'escapes');
  await assert.rejects(refuseEscapingLinks(root), /Procfile -> \/etc\/passwd/);
  rmSync(root, { recursive: true });
});

test('a chain of links is followed as the kernel follows it: d -> . makes d/d/d/../../.. leave the tree', async () => {
  // By name, d/d/d/../../.. is the root itself; through the link d it is three levels above it.
  const root = tree();
  symlinkSync('.', join(root, 'd'));
  symlinkSync('d/d/d/../../..', join(root, 'up'));
  assert.equal((await resolveInTree(root, 'up')).kind, 'escapes');
  assert.equal((await resolveInTree(root, 'up/admin-token')).kind, 'escapes');
  await assert.rejects(refuseEscapingLinks(root), /points outside it: up -> d\/d\/d\/\.\.\/\.\.\/\.\./);
  rmSync(root, { recursive: true });
});

test('a link to a name that does not exist yet is judged by name; loops are refused', async () => {
  const root = tree();
  symlinkSync('missing/../a', join(root, 'ok'));
  assert.deepEqual(await resolveInTree(root, 'ok'), { kind: 'inside', parts: ['a'], exists: false });
  symlinkSync('missing/../../x', join(root, 'bad'));
  assert.equal((await resolveInTree(root, 'bad')).kind, 'escapes');
  rmSync(join(root, 'bad'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  assert.equal((await resolveInTree(root, 'loop1')).kind, 'loop');
  await assert.rejects(refuseEscapingLinks(root), /links that loop: loop1 -> loop2/);
  rmSync(root, { recursive: true });
});
