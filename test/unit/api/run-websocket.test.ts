// The pure parts of the console's run WebSocket (src/api/run-websocket.ts): the Origin rule and the messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originAllowed, parseControl, parseStart } from '../../../src/api/run-websocket.js';

test('only the API’s own origin may open the socket', () => {
  const api = 'https://yb.example.com';
  assert.equal(originAllowed('http://127.0.0.1:5050', '127.0.0.1:5050', api), true);
  assert.equal(originAllowed('https://127.0.0.1:5050', '127.0.0.1:5050', api), true, 'behind a TLS proxy ybd sees http');
  assert.equal(originAllowed('https://yb.example.com', 'internal:5050', api), true, 'the configured API URL');
  for (const o of ['http://evil.example', 'http://127.0.0.1:5051', 'http://127.0.0.1.evil:5050', 'null', 'ftp://127.0.0.1:5050', 'http://127.0.0.1:5050/x', ''])
    assert.equal(originAllowed(o, '127.0.0.1:5050', api), false, o);
  assert.equal(originAllowed(undefined, '127.0.0.1:5050', api), false);
  assert.equal(originAllowed('http://127.0.0.1:5050', undefined, api), false);
});

test('the start message needs the CSRF token and a command; sizes are bounded', () => {
  assert.deepEqual(parseStart('{"type":"start","csrf":"c","command":"ls","cols":80,"rows":24}'), {
    type: 'start',
    csrf: 'c',
    command: 'ls',
    cols: 80,
    rows: 24,
  });
  assert.deepEqual(parseStart('{"type":"start","csrf":"c","command":"ls","cols":100000,"rows":-1}'), {
    type: 'start',
    csrf: 'c',
    command: 'ls',
    cols: undefined,
    rows: undefined,
  });
  assert.match(parseStart('{"type":"start","command":"ls"}') as string, /no CSRF token/);
  assert.match(parseStart('{"type":"start","csrf":"c"}') as string, /no command/);
  assert.match(parseStart('[]') as string, /must be \{"type":"start"/);
  assert.match(parseStart('null') as string, /must be \{"type":"start"/);
  assert.match(parseStart('x') as string, /must be JSON/);
});

test('control messages: resize within bounds and eof; anything else is ignored', () => {
  assert.deepEqual(parseControl('{"type":"resize","cols":80,"rows":24}'), { type: 'resize', cols: 80, rows: 24 });
  assert.deepEqual(parseControl('{"type":"eof"}'), { type: 'eof' });
  for (const m of ['{"type":"resize","cols":0,"rows":24}', '{"type":"resize","cols":1.5,"rows":2}', '{"type":"resize"}', '{"type":"x"}', 'null', 'nope'])
    assert.equal(parseControl(m), null, m);
});
