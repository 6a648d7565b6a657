// The metrics journal (src/metrics/series-journal.ts, issue #21): samples appended, compactions that lose no line
// written meanwhile, forgets that hold whatever the order of lines, and lines cut by a crash skipped.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { replay, SeriesJournal } from '../../../src/metrics/series-journal.js';
import type { Point } from '../../../src/metrics/series.js';

const same = (p: Point) => p;
const pt = (t: number): Point => ({ t, types: { web: { cpu: t / 1000, memoryBytes: t, processes: 1, restarts: 0 } } });
const fresh = () => join(mkdtempSync(join(tmpdir(), 'yb-journal-')), 'series.jsonl');
const loaded = (file: string) => {
  const m = new Map<string, Point[]>();
  new SeriesJournal(file, 10, () => undefined).load(m, same);
  return m;
};

test('samples appended are read back per app, in order', () => {
  const file = fresh();
  const j = new SeriesJournal(file, 100, () => undefined);
  const all = new Map<string, Point[]>();
  for (const t of [1000, 2000, 3000]) j.appendSample(t, { a: pt(t), ...(t > 1000 ? { b: pt(t) } : {}) }, () => all);
  const m = loaded(file);
  assert.deepEqual(
    m.get('a')?.map((p) => p.t),
    [1000, 2000, 3000],
  );
  assert.deepEqual(
    m.get('b')?.map((p) => p.t),
    [2000, 3000],
  );
});

test('a compaction keeps every line written while it runs, and repeats are read once', async () => {
  const file = fresh();
  const j = new SeriesJournal(file, 1000, () => undefined);
  const all = new Map<string, Point[]>([['a', [pt(1000), pt(2000)]]]);
  for (const p of all.get('a') ?? []) j.appendSample(p.t, { a: p }, () => all);
  const compaction = j.compact(all);
  // Written after the snapshot, before the new file replaces the old one.
  all.get('a')?.push(pt(3000));
  j.appendSample(3000, { a: pt(3000) }, () => all);
  await compaction;
  all.get('a')?.push(pt(4000));
  j.appendSample(4000, { a: pt(4000) }, () => all);
  assert.deepEqual(
    loaded(file)
      .get('a')
      ?.map((p) => p.t),
    [1000, 2000, 3000, 4000],
  );
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3, 'one app line and the two samples after the snapshot');
});

test('a compaction starts by itself after compactAfter samples and replaces the old format', async () => {
  const file = fresh();
  writeFileSync(file.replace(/\.jsonl$/, '.json'), JSON.stringify({ old: [pt(500)] }));
  const all = loaded(file);
  const j = new SeriesJournal(file, 3, () => undefined);
  for (const t of [1000, 2000, 3000]) {
    all.set('a', [...(all.get('a') ?? []), pt(t)]);
    j.appendSample(t, { a: pt(t) }, () => all);
  }
  await j.compact(all); // the one already running
  assert.equal(existsSync(file.replace(/\.jsonl$/, '.json')), false, 'the old whole-file format is gone');
  const m = loaded(file);
  assert.deepEqual(
    m.get('old')?.map((p) => p.t),
    [500],
  );
  assert.equal(m.get('a')?.length, 3);
});

test("a forgotten app's points never come back, whatever the order of the lines", () => {
  const m = new Map<string, Point[]>();
  const text = [
    JSON.stringify({ forget: 'a', t: 2500 }),
    JSON.stringify({ t: 2000, points: { a: pt(2000), b: pt(2000) } }), // a sample that began before the forget, written after it
    JSON.stringify({ t: 3000, points: { a: pt(3000) } }), // the next owner of the name
  ].join('\n');
  replay(text, m, same);
  assert.deepEqual(
    m.get('a')?.map((p) => p.t),
    [3000],
  );
  assert.equal(m.get('b')?.length, 1);
});

test('a line cut by a crash is skipped, the rest read, and the next sample lands on a line of its own', () => {
  const file = fresh();
  const j = new SeriesJournal(file, 100, () => undefined);
  j.appendSample(1000, { a: pt(1000) }, () => new Map());
  appendFileSync(file, '{"t":2000,"points":{"a":{"t":20');
  assert.deepEqual(
    loaded(file)
      .get('a')
      ?.map((p) => p.t),
    [1000],
  );
  j.appendSample(3000, { a: pt(3000) }, () => new Map());
  assert.deepEqual(
    loaded(file)
      .get('a')
      ?.map((p) => p.t),
    [1000, 3000],
    'the next sample is not glued to the cut line',
  );
});
