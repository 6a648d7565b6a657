// Bounded line splitting of tenant output (issue #14 item 9b): lines cut at the bound with a marker, the rest of
// a cut line dropped up to its newline, CRLF handled, the last unterminated line emitted at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { LineSplitter, cutMarker, splitLines } from '../../../src/shared/line-splitter.js';

function split(chunks: string[], max = 8): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l), max);
  for (const c of chunks) s.push(Buffer.from(c));
  s.end();
  return out;
}

test('lines across chunks, CRLF, empty lines and a last line without newline', () => {
  assert.deepEqual(split(['ab', 'c\nde', 'f\r\n\n', 'gh']), ['abc', 'def', '', 'gh']);
  assert.deepEqual(split([]), []);
  assert.deepEqual(split(['\n']), ['']);
});

test('a line longer than the bound is cut with a marker and the rest of it is dropped', () => {
  assert.deepEqual(split(['0123456789abcdef\nok\n']), [`01234567${cutMarker(8)}`, 'ok']);
  assert.deepEqual(split(['0123', '4567', '89', 'ab', '\nnext']), [`01234567${cutMarker(8)}`, 'next']);
  assert.deepEqual(split(['01234567\n']), ['01234567'], 'exactly the bound is not cut');
  assert.deepEqual(split(['0123456789']), [`01234567${cutMarker(8)}`], 'a cut last line is not emitted twice');
});

test('memory stays bounded on a newline-free stream of many chunks', () => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), 1024);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 1600; i++) s.push(chunk); // 100 MiB without a newline
  s.push(Buffer.from('\nafter\n'));
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'a'.repeat(1024) + cutMarker(1024));
  assert.equal(lines[1], 'after');
});

test('splitLines reads a stream to its end', async () => {
  const lines: string[] = [];
  await splitLines(Readable.from([Buffer.from('x\ny'), Buffer.from('z\n')]), (l) => lines.push(l));
  assert.deepEqual(lines, ['x', 'yz']);
});
