import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { accessLogger } from '../../../src/router/access-log.js';

const entry = {
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

test('access lines are valid JSON in pino form, user input escaped', () => {
  const lines: string[] = [];
  const write = accessLogger(pino({ level: 'info' }), (l) => lines.push(l), 1, { router: 'r' })!;
  write(entry);
  write({ ...entry, status: 502, upstream: undefined, error: 'ECONNREFUSED' });
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n')));
  const a = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(a.level, 30);
  assert.ok(!Number.isNaN(Date.parse(a.time as string)));
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
  const b = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.equal(b.error, 'ECONNREFUSED');
  assert.equal('upstream' in b, false);
});

test('sampling keeps every 5xx; off when sample is 0 or the level is above info', () => {
  const lines: string[] = [];
  const write = accessLogger(pino({ level: 'info' }), (l) => lines.push(l), 0.000001, {})!;
  for (let i = 0; i < 100; i++) write({ ...entry, status: 503 });
  assert.equal(lines.length, 100);
  assert.equal(
    accessLogger(pino({ level: 'info' }), () => undefined, 0, {}),
    undefined,
  );
  assert.equal(
    accessLogger(pino({ level: 'warn' }), () => undefined, 1, {}),
    undefined,
  );
});
