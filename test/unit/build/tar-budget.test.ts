import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, type Header } from 'tar-stream';
import { TarBudget, paxRecords, type TarVerdict } from '../../../src/build/tar-budget.js';

/** A tar archive of `entries` as tar-stream writes it (ustar, pax headers where needed). */
async function archive(entries: Array<{ header: Partial<Header> & { name: string }; body?: Buffer }>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((res, rej) => p.entry(e.header as Header, e.body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Feeds `buf` in chunks of `size`; the first refusal, or the last verdict. */
function feed(b: TarBudget, buf: Buffer, size = 1000): TarVerdict {
  let v: TarVerdict = { ok: true, archive: 0 };
  for (let i = 0; i < buf.length; i += size) {
    v = b.feed(buf.subarray(i, i + size));
    if (!v.ok) return v;
  }
  return v;
}

/** One ustar header block, checksummed (tar-stream will not write a pax header with a size in it). */
function ustar(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(type, 156);
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const file = (name: string, size: number) => ({ header: { name, size, type: 'file' as const }, body: Buffer.alloc(size) });

test('bytes and entries of a real GNU tar archive are counted from its headers, whatever the chunking', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-tb-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a'), Buffer.alloc(3000));
  writeFileSync(join(dir, 'b'), 'hello');
  writeFileSync(join(dir, `${'long-name-'.repeat(20)}x`), 'y'); // > 100 characters: a GNU long-name header
  const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
  for (const size of [1, 511, 512, 4096, tar.length]) {
    const b = new TarBudget({ maxBytes: 1e9, maxEntries: 100 });
    const v = feed(b, tar, size);
    assert.equal(v.ok, true);
    assert.equal(b.entries, 5, `chunks of ${size}: ., sub, sub/a, b, the long name`);
    assert.ok(b.bytes >= 3006 && b.bytes < 3006 + 1024, `chunks of ${size}: ${b.bytes}`);
    assert.equal(b.ended, true);
  }
  rmSync(dir, { recursive: true });
});

test('a member larger than the budget is refused at its header, before its data', async () => {
  const tar = await archive([file('a', 600), file('b', 2000)]);
  const b = new TarBudget({ maxBytes: 2047, maxEntries: 100 });
  const v = b.feed(tar.subarray(0, 512 + 1024 + 512)); // headers of a, its data, the header of b
  assert.deepEqual(v, { ok: false, reason: 'bytes' });
});

test('one entry too many is refused', async () => {
  const tar = await archive(Array.from({ length: 11 }, (_, i) => file(`f${i}`, 0)));
  assert.deepEqual(feed(new TarBudget({ maxBytes: 1e9, maxEntries: 10 }), tar), { ok: false, reason: 'entries' });
  assert.equal(feed(new TarBudget({ maxBytes: 1e9, maxEntries: 11 }), tar).ok, true);
});

test('a pax size overrides the header size, as GNU tar reads it', async () => {
  const pax = 'size=5000000000';
  const rec = `${pax.length + 3 + 1} ${pax}\n`; // the length counts itself, the space and the newline
  assert.equal(rec.length, Number(rec.split(' ')[0]));
  const data = Buffer.alloc(512);
  data.write(rec);
  const tar = Buffer.concat([ustar('PaxHeader', rec.length, 'x'), data, await archive([file('small', 0)])]);
  assert.deepEqual(feed(new TarBudget({ maxBytes: 1e9, maxEntries: 10 }), tar), { ok: false, reason: 'bytes' });
  assert.equal(paxRecords(Buffer.from(`${rec}12 path=abc\n`)).get('path'), 'abc');
});

test('sparse members (GNU type S, pax GNU.sparse.*) are refused: they unpack to more than the archive shows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-tb-'));
  execFileSync('truncate', ['-s', '100M', join(dir, 'sparse')]);
  for (const format of ['gnu', 'posix']) {
    const tar = execFileSync('tar', ['-C', dir, '--sparse', `--format=${format}`, '-cf', '-', 'sparse']);
    assert.ok(tar.length < 64 * 1024, 'the archive of a 100 MiB hole is small');
    assert.deepEqual(feed(new TarBudget({ maxBytes: 1e12, maxEntries: 10 }), tar), { ok: false, reason: 'sparse' }, format);
  }
  rmSync(dir, { recursive: true });
});

test('not a tar (a gzip stream sent as tar) is refused at the first header; data after the end is not archive', async () => {
  const gz = execFileSync('gzip', ['-c'], { input: randomBytes(100_000) });
  assert.deepEqual(feed(new TarBudget({ maxBytes: 1e9, maxEntries: 10 }), gz), { ok: false, reason: 'header' });
  const tar = await archive([file('a', 10)]);
  const b = new TarBudget({ maxBytes: 1e9, maxEntries: 10 });
  const v = b.feed(Buffer.concat([tar, Buffer.alloc(4096, 1)]));
  assert.equal(v.ok && v.archive, 512 + 512 + 1024, 'header, data block, two zero blocks');
  assert.deepEqual(feed(b, Buffer.alloc(2 * 1024 * 1024)), { ok: false, reason: 'trailing' });
});
