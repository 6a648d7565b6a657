// Pure helpers of the web console (console/src/lib): streamed lines and events, app filters, URLs of pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, appState, filterApps, lineSplitter, mayChange, processSummary, sseParser } from '../../../console/src/lib/text.js';
import { appPath, parseRoute } from '../../../console/src/lib/paths.js';

test('lineSplitter keeps a line cut between chunks whole', () => {
  const s = lineSplitter();
  assert.deepEqual(s.push('a\nb'), ['a']);
  assert.deepEqual(s.push('c\n\nd'), ['bc', '']);
  assert.deepEqual(s.push('\n'), ['d']);
});

test('sseParser reads events across chunks and drops comments', () => {
  const p = sseParser();
  assert.deepEqual(p.push(': keep-alive\n\nevent: line\nda'), []);
  assert.deepEqual(p.push('ta: {"a":1}\n\nevent: end\ndata: x\n\n'), [
    { event: 'line', data: '{"a":1}' },
    { event: 'end', data: 'x' },
  ]);
});

test('filterApps filters by team and name, sorted', () => {
  const apps = [
    { name: 'web-b', team: 'main' },
    { name: 'api', team: 'other' },
    { name: 'web-a', team: 'main' },
  ];
  assert.deepEqual(
    filterApps(apps, 'main', '').map((a) => a.name),
    ['web-a', 'web-b'],
  );
  assert.deepEqual(
    filterApps(apps, '', 'API').map((a) => a.name),
    ['api'],
  );
  assert.deepEqual(filterApps(apps, 'other', 'web'), []);
});

test('state, summaries and times', () => {
  assert.equal(appState([{ state: 'up' }, { state: 'crashed' }], false), 'crashed');
  assert.equal(appState([{ state: 'up' }], true), 'deploying');
  assert.equal(appState([{ state: 'up' }], false), 'running');
  assert.equal(appState([], false), 'idle');
  assert.equal(
    processSummary([
      { type: 'web', state: 'up' },
      { type: 'web', state: 'up' },
      { type: 'worker', state: 'crashed' },
    ]),
    'web 2 up · worker 1 crashed',
  );
  const now = Date.parse('2026-01-01T01:00:00Z');
  assert.equal(ago('2026-01-01T00:59:30Z', now), '30 s ago');
  assert.equal(ago('2026-01-01T00:00:00Z', now), '1 h ago');
  assert.equal(ago(undefined, now), '—');
  assert.ok(mayChange('member') && mayChange('owner') && !mayChange('viewer') && !mayChange(undefined));
});

test('console pages live under /console/ and parse back', () => {
  assert.deepEqual(parseRoute('/'), { page: 'apps' });
  assert.deepEqual(parseRoute('/console/new'), { page: 'new' });
  assert.deepEqual(parseRoute('/console/teams'), { page: 'teams' });
  assert.deepEqual(parseRoute('/console/tokens/'), { page: 'tokens' });
  assert.deepEqual(parseRoute('/console/services'), { page: 'services' });
  assert.deepEqual(parseRoute('/console/apps/hello'), { page: 'app', app: 'hello', tab: 'overview' });
  assert.deepEqual(parseRoute(appPath('hello', 'logs')), { page: 'app', app: 'hello', tab: 'logs' });
  assert.equal(parseRoute('/console/apps/hello/nope').page, 'missing');
  assert.equal(parseRoute('/console/apps/Bad_Name').page, 'missing');
  assert.ok(appPath('x').startsWith('/console/'), 'never an API path');
});
