import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGzip, parseProcfile, tarScanner, topLevelName } from '../../../console/src/lib/tar.js';

/** One tar entry (ustar header + padded data) built by hand, so the reader is tested against the format itself. */
function entry(name: string, data: string | Uint8Array, type = '0', sizeOverride?: number): Uint8Array {
  const body = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const h = new Uint8Array(512);
  const put = (at: number, s: string) => h.set(new TextEncoder().encode(s), at);
  put(0, name.slice(0, 100));
  put(100, '0000644\0');
  const n = sizeOverride ?? body.length;
  if (n < 8 ** 11) put(124, `${n.toString(8).padStart(11, '0')}\0`);
  else {
    // GNU base-256: high bit set, then the size big-endian.
    h[124] = 0x80;
    for (let i = 135, v = n; i > 124; i--, v = Math.floor(v / 256)) h[i] = v % 256;
  }
  put(156, type);
  put(257, 'ustar\0');
  put(263, '00');
  h.fill(32, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  const out = new Uint8Array(512 + Math.ceil(body.length / 512) * 512);
  out.set(h);
  out.set(body, 512);
  return out;
}
const END = new Uint8Array(1024);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};
const WANT = (n: string) => ['Procfile', 'app.json', 'Dockerfile'].includes(n);

test('finds the top-level Procfile and app.json, in any chunking, and ignores deeper files of the same name', () => {
  const archive = cat(
    entry('./Procfile', 'web: node server.js\nworker: node w.js\n'),
    entry('./lib/Procfile', 'web: not-this\n'),
    entry('./big.bin', new Uint8Array(5000)),
    entry('app.json', '{"name":"x"}'),
    END,
  );
  for (const step of [1, 7, 512, 513, archive.length]) {
    const s = tarScanner(WANT);
    for (let i = 0; i < archive.length; i += step) s.push(archive.subarray(i, i + step));
    assert.equal(s.files.get('Procfile'), 'web: node server.js\nworker: node w.js\n', `chunks of ${step}`);
    assert.equal(s.files.get('app.json'), '{"name":"x"}');
    assert.deepEqual(s.state(), { entries: 4, ended: true });
  }
});

test('GNU long names name the next entry', () => {
  const long = `${'d'.repeat(120)}/Procfile`;
  const s = tarScanner(WANT);
  s.push(cat(entry('././@LongLink', `${long}\0`, 'L'), entry(long.slice(0, 100), 'web: deep'), entry('Procfile', 'web: top'), END));
  assert.equal(s.files.get('Procfile'), 'web: top');
});

test('hostile archives: a bad checksum, too many entries, a huge name record and an oversized file are bounded', () => {
  const bad = entry('Procfile', 'web: x');
  bad[0] = 'Q'.charCodeAt(0);
  assert.throws(() => tarScanner(WANT).push(bad), /not a tar archive/);
  assert.throws(() => tarScanner(WANT).push(new TextEncoder().encode('just some text, not tar'.padEnd(600, '!'))), /not a tar archive/);
  const many = tarScanner(WANT, { maxFileBytes: 1024, maxEntries: 3 });
  assert.throws(() => many.push(cat(entry('a', ''), entry('b', ''), entry('c', ''), entry('d', ''))), /more than 3 entries/);
  assert.throws(() => tarScanner(WANT).push(entry('././@LongLink', 'x'.repeat(5000), 'L')), /over 4 KiB/);
  // A Procfile claiming 1 TiB (GNU base-256 size) is skipped, not allocated.
  const s = tarScanner(WANT);
  s.push(entry('Procfile', '', '0', 2 ** 40));
  assert.equal(s.files.size, 0);
  assert.deepEqual([...s.tooBig], [['Procfile', 2 ** 40]], 'and reported as too big to preview');
});

test('top-level names, Procfile lines and the gzip magic', () => {
  assert.equal(topLevelName('./Procfile'), 'Procfile');
  assert.equal(topLevelName('Procfile'), 'Procfile');
  assert.equal(topLevelName('a/Procfile'), null);
  assert.equal(topLevelName('./'), null);
  assert.deepEqual(parseProcfile('# c\nweb: node s.js\n\nworker:  run  \nbad line\n'), [
    { type: 'web', command: 'node s.js' },
    { type: 'worker', command: 'run' },
  ]);
  assert.equal(isGzip(new Uint8Array([0x1f, 0x8b, 8])), true);
  assert.equal(isGzip(new Uint8Array([0x75])), false);
});
