import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppLogStore } from '../../../src/logs/app-log-store.js';
import type { LogLine } from '../../../src/logs/line.js';

const line = (i: number): LogLine => ({ t: new Date(1_800_000_000_000 + i).toISOString(), s: 'app', p: 'web.1', m: `line ${i}` });

test('keeps the last N lines per app on disk, compacts, and reloads them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-logstore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = new AppLogStore(dir, 100);
  for (let i = 0; i < 500; i++) a.append('hello', [line(i)]);
  assert.deepEqual(
    a.last('hello', 2).map((l) => l.m),
    ['line 498', 'line 499'],
  );
  assert.equal(a.last('hello', 1000).length, 100);
  const fileLines = readFileSync(join(dir, 'hello.jsonl'), 'utf8').trim().split('\n').length;
  assert.ok(fileLines <= 250, `file compacted (${fileLines} lines)`);
  appendFileSync(join(dir, 'hello.jsonl'), '{"t":"torn');
  const b = new AppLogStore(dir, 100);
  const seen: string[] = [];
  b.load((_app, l) => seen.push(l.m));
  assert.deepEqual(
    b.last('hello', 100).map((l) => l.m),
    a.last('hello', 100).map((l) => l.m),
    'same lines after a restart; the torn line is skipped',
  );
  assert.ok(seen.includes('line 499'));
  b.remove('hello');
  assert.deepEqual(b.last('hello', 10), []);
});

test("rename: the old name's lines join the new name's in time order, on disk too; the old file goes", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-logstore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = new AppLogStore(dir, 5);
  for (const i of [1, 2, 4, 6]) a.append('shop', [line(i)]);
  for (const i of [3, 5]) a.append('store', [line(i)]);
  a.rename('shop', 'store');
  const expected = ['line 2', 'line 3', 'line 4', 'line 5', 'line 6'];
  assert.deepEqual(
    a.last('store', 10).map((l) => l.m),
    expected,
    'merged by time, newest capacity kept',
  );
  assert.deepEqual(a.last('shop', 10), []);
  const b = new AppLogStore(dir, 5);
  b.load();
  assert.deepEqual(
    b.last('store', 10).map((l) => l.m),
    expected,
  );
  assert.deepEqual(b.last('shop', 10), [], 'the old file is gone');
  a.rename('nothing', 'store');
  assert.equal(a.last('store', 10).length, 5, 'renaming an app without lines changes nothing');
});
