// Pure helpers of the console's admin pages and browser terminal: audit filters, byte sizes, the run socket's
// messages and URL, the new pages' paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detailLine, distinct, filterEvents, NO_FILTER } from '../../../console/src/lib/audit.js';
import { formatBytes } from '../../../console/src/lib/text.js';
import { closedSentence, runSocketUrl, serverMessage } from '../../../console/src/lib/run-protocol.js';
import { appPath, parseRoute } from '../../../console/src/lib/paths.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const EVENTS = [
  { id: '1', at: '2026-12-05T11:30:00Z', team: 'team-m', user: 'olga', action: 'config.set', app: 'hello' },
  { id: '2', at: '2026-12-04T11:00:00Z', team: 'team-m', user: 'vic', action: 'deploy', app: 'hello' },
  { id: '3', at: '2026-12-05T11:59:00Z', team: '_account', user: 'Olga', action: 'key.add' },
  { id: '4', at: 'not a time', team: 'team-x', user: 'xena', action: 'config.unset' },
];

test('audit filters: team, actor (any case), action prefix and time, all at once', () => {
  const ids = (f: Partial<typeof NO_FILTER>) => filterEvents(EVENTS, { ...NO_FILTER, ...f }, NOW).map((e) => e.id);
  assert.deepEqual(ids({}), ['1', '2', '3', '4']);
  assert.deepEqual(ids({ team: 'team-m' }), ['1', '2']);
  assert.deepEqual(ids({ actor: 'olga' }), ['1', '3']);
  assert.deepEqual(ids({ action: 'config' }), ['1', '4']);
  assert.deepEqual(ids({ action: 'config.set' }), ['1']);
  assert.deepEqual(ids({ sinceHours: 1 }), ['1', '3'], 'an event with an unreadable time is not in a time window');
  assert.deepEqual(ids({ team: 'team-m', actor: 'olga', action: 'config', sinceHours: 24 }), ['1']);
  assert.deepEqual(distinct(EVENTS, 'team'), ['_account', 'team-m', 'team-x']);
  assert.equal(detailLine({ set: ['A', 'B'], to: 'previous' }), 'set=["A","B"] to=previous');
  assert.equal(detailLine(undefined), '');
});

test('byte sizes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20.0 MiB');
  assert.equal(formatBytes(3.2 * 1024 ** 3), '3.2 GiB');
  assert.equal(formatBytes(null), '—');
  assert.equal(formatBytes(-1), '—');
});

test('the run socket: same-origin URL, server messages, closing sentences', () => {
  assert.equal(runSocketUrl({ protocol: 'http:', host: '127.0.0.1:5050' }, 'hello'), 'ws://127.0.0.1:5050/apps/hello/dynos/attach');
  assert.equal(runSocketUrl({ protocol: 'https:', host: 'yb.example' }, 'a b'), 'wss://yb.example/apps/a%20b/dynos/attach');
  assert.deepEqual(serverMessage('{"type":"started"}'), { kind: 'started' });
  assert.deepEqual(serverMessage('{"type":"exit","code":3}'), { kind: 'exit', code: 3 });
  assert.deepEqual(serverMessage('{"type":"error","id":"forbidden","message":"no","hint":"ask"}'), {
    kind: 'error',
    id: 'forbidden',
    message: 'no',
    hint: 'ask',
  });
  for (const m of ['{"type":"exit"}', '{"type":"error"}', '{"type":"x"}', 'null', 'nope']) assert.equal(serverMessage(m), null, m);
  assert.match(closedSentence(1009, true), /64 KiB/);
  assert.match(closedSentence(1006, false), /could not connect/);
  assert.match(closedSentence(1006, true), /code 1006/);
});

test('the new pages and the terminal tab have paths', () => {
  assert.deepEqual(parseRoute('/console/storage'), { page: 'storage' });
  assert.deepEqual(parseRoute('/console/audit/'), { page: 'audit' });
  assert.deepEqual(parseRoute('/console/users'), { page: 'users' });
  assert.deepEqual(parseRoute('/console/apps/hello/terminal'), { page: 'app', app: 'hello', tab: 'terminal' });
  assert.equal(appPath('hello', 'terminal'), '/console/apps/hello/terminal');
});
