import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, parseDrainUrl, parseFrames, syslogMessage } from '../../../src/logs/drains/syslog-frame.js';

test('RFC 5424 message: app as host, source as app-name, process as procid', () => {
  const m = syslogMessage('hello', { t: '2026-11-26T00:00:00.000Z', s: 'app', p: 'web.1', m: 'listening on 5000' });
  assert.equal(m, '<190>1 2026-11-26T00:00:00.000Z hello app web.1 - - listening on 5000');
  assert.equal(syslogMessage('hello', { t: '2026-11-26T00:00:00.000Z', s: 'router', p: '', m: 'x' }), '<190>1 2026-11-26T00:00:00.000Z hello router - - - x');
});

test('octet counting counts bytes, not characters, and parses back', () => {
  assert.equal(frame('héllo'), '6 héllo');
  const stream = Buffer.from(frame('one') + frame('twö') + '12 incompl');
  const { messages, rest } = parseFrames(stream);
  assert.deepEqual(messages, ['one', 'twö']);
  assert.equal(rest.toString(), '12 incompl');
  assert.throws(() => parseFrames(Buffer.from('x1 a')), /bad syslog frame/);
});

test('drain URLs: syslog over TCP or TLS with host and port, or HTTPS', () => {
  assert.equal((parseDrainUrl('syslog+tls://logs.example.com:6514') as { kind: string }).kind, 'syslog+tls');
  assert.equal((parseDrainUrl('syslog+tcp://127.0.0.1:514') as { kind: string }).kind, 'syslog+tcp');
  assert.equal((parseDrainUrl('syslog://127.0.0.1:514') as { kind: string }).kind, 'syslog+tcp');
  assert.equal((parseDrainUrl('https://user:pw@logs.example.com/in') as { kind: string }).kind, 'https');
  assert.match((parseDrainUrl('syslog+tcp://127.0.0.1') as { error: string }).error, /host and a port/);
  assert.match((parseDrainUrl('http://logs.example.com') as { error: string }).error, /syslog\+tcp/);
  assert.match((parseDrainUrl('not a url') as { error: string }).error, /not a URL/);
});
