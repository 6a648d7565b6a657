import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AccessLines, accessLogger } from '../../../src/router/access-log.js';
import type { AccessEntry } from '../../../src/router/proxy.js';

const entry: AccessEntry = {
  app: 'web',
  method: 'GET',
  host: 'a.test',
  path: '/x?"y"\n',
  status: 200,
  duration: 1.23456,
  bytes: 5,
  upstream: '127.0.0.1:1',
  requestId: 'r1',
};

/** An access logger whose batches are collected (toFile: the file batch size, else the pipe one). */
function collect(sample = 1, base: Record<string, unknown> = { router: 'r' }, toFile = true) {
  const batches: string[] = [];
  const lines = new AccessLines((b) => batches.push(b.toString('latin1')), toFile ? 32 * 1024 : 2048);
  const write = accessLogger(pino({ level: 'info' }), lines, sample, base)!;
  const all = () => (lines.flush(), batches.join(''));
  return {
    write,
    lines,
    batches,
    all,
    parsed: () =>
      all()
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('access lines are valid JSON in pino form, user input escaped', () => {
  const c = collect();
  c.write(entry);
  c.write({ ...entry, status: 502, upstream: undefined, error: 'ECONNREFUSED' });
  const text = c.all();
  assert.equal(text.split('\n').length, 3);
  assert.ok(text.endsWith('}\n'));
  const [a, b] = c.parsed();
  assert.match(String(a!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(a!.time as string) - Date.now()) < 60_000);
  assert.deepEqual(
    { ...a, time: undefined },
    {
      level: 30,
      time: undefined,
      router: 'r',
      kind: 'access',
      app: 'web',
      method: 'GET',
      host: 'a.test',
      path: '/x?"y"\n',
      status: 200,
      duration: 1.235,
      bytes: 5,
      upstream: '127.0.0.1:1',
      requestId: 'r1',
      msg: 'request',
    },
  );
  assert.equal(b!.error, 'ECONNREFUSED');
  assert.equal('upstream' in b!, false);
});

test('hostile and unusual text reads back unchanged, lines stay ASCII and whole', () => {
  const c = collect(1, { router: 'r\u00e9\n', pid: 7 });
  // Every code unit a latin1-decoded head can hold, quotes, backslashes, a fake end of line and a fake field.
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  const nasty = [all, '\\"}\n{"level":60,"kind":"access"', '\u2028\u2029\ud800\udfff\ud800', '', '\u0000\u007f'];
  for (const s of nasty) c.write({ ...entry, app: s, host: s, path: s, method: s, requestId: s, upstream: s, error: s });
  const raw = c.all();
  assert.match(raw, /^[\x20-\x7e\n]*$/, 'only printable ASCII and the line ends');
  const got = c.parsed();
  assert.equal(got.length, nasty.length);
  got.forEach((g, i) => {
    for (const k of ['app', 'host', 'path', 'method', 'requestId', 'upstream', 'error']) assert.equal(g[k], nasty[i], `${k} of line ${i}`);
    assert.equal(g.router, 'r\u00e9\n');
    assert.equal(g.pid, 7);
  });
});

test('numbers are written as JSON.stringify writes them', () => {
  const c = collect();
  const durations = [0, 0.0004, 0.0005, 1, 1.5, 1.05, 1.005, 1.2345, 999.9999, 12345.678, 1e9 + 0.001, 0.1 + 0.2, -0];
  const counts = [0, 1, 9, 10, 99, 100, 101, 1000, 65535, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
  for (const d of durations) c.write({ ...entry, duration: d });
  for (const n of counts) c.write({ ...entry, bytes: n, status: n });
  c.write({ ...entry, bytes: 1.5, duration: Number.NaN, status: -1 }); // never sent by the router; still valid JSON
  const got = c.parsed();
  durations.forEach((d, i) => assert.equal(got[i]!.duration, JSON.parse(JSON.stringify(Math.round(d * 1000) / 1000)), `duration ${d}`));
  counts.forEach((n, i) => {
    assert.equal(got[durations.length + i]!.bytes, n);
    assert.equal(got[durations.length + i]!.status, n);
  });
  const odd = got.at(-1)!;
  assert.deepEqual([odd.bytes, odd.duration, odd.status], [1.5, null, -1]);
});

test('lines are batched: a file gets ~32 KiB writes, a pipe ≤ 4 KiB (PIPE_BUF), each of whole lines', () => {
  for (const toFile of [true, false]) {
    const c = collect(1, { router: 'r' }, toFile);
    for (let i = 0; i < 2000; i++) c.write({ ...entry, path: `/p/${i}` });
    const n = c.batches.length;
    assert.ok(n > 0, 'big batches are written without waiting for a flush');
    for (const b of c.batches) {
      assert.ok(b.endsWith('\n'), 'a batch ends with a whole line');
      assert.ok(toFile ? b.length >= 32 * 1024 && b.length <= 33 * 1024 : b.length >= 2048 && b.length <= 4096, `batch of ${b.length} bytes`);
    }
    assert.equal(c.parsed().length, 2000, 'nothing lost after the last flush');
  }
});

test('a line longer than a batch is written whole, by itself, after the lines before it', () => {
  const c = collect();
  c.write({ ...entry, path: '/before' });
  const long = `/${'\u0001'.repeat(20_000)}`; // 120 KB once escaped: more than a batch
  c.write({ ...entry, path: long });
  c.write({ ...entry, path: '/after' });
  assert.deepEqual(
    c.parsed().map((l) => l.path),
    ['/before', long, '/after'],
  );
  assert.equal(c.batches[1]!.length > 120_000 && c.batches[1]!.split('\n').length, 2, 'the long line by itself');
});

test('sampling keeps every 5xx; off when sample is 0 or the level is above info', () => {
  const c = collect(0.000001, {});
  for (let i = 0; i < 100; i++) c.write({ ...entry, status: 503 });
  for (let i = 0; i < 100; i++) c.write(entry);
  assert.ok(c.parsed().filter((l) => l.status === 503).length === 100 && c.parsed().length < 110);
  const lines = new AccessLines(() => undefined, 2048);
  assert.equal(accessLogger(pino({ level: 'info' }), lines, 0, {}), undefined);
  assert.equal(accessLogger(pino({ level: 'warn' }), lines, 1, {}), undefined);
});
