import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableInputBuilder, diffSnapshots } from '../../../src/router/table-input.js';
import { buildRouteTable } from '../../../src/router/route-table.js';

const P = '/t/';
const ep = (port: number) => JSON.stringify({ host: '127.0.0.1', port, release: 1, container: 'c' });

test('diffSnapshots lists set and deleted keys', () => {
  const a = new Map([
    ['x', '1'],
    ['y', '2'],
    ['z', '3'],
  ]);
  const b = new Map([
    ['x', '1'],
    ['y', '20'],
    ['w', '4'],
  ]);
  assert.deepEqual(diffSnapshots(a, b), {
    set: [
      ['y', '20'],
      ['w', '4'],
    ],
    del: ['z'],
  });
  assert.deepEqual(diffSnapshots(a, a), { set: [], del: [] });
});

test('incremental updates give the same table as a full parse', () => {
  const b = new TableInputBuilder(P);
  b.apply({
    set: [
      [`${P}routes/a.test`, '{"app":"a"}'],
      [`${P}endpoints/a/web/1`, ep(1)],
      [`${P}endpoints/a/web/2`, ep(2)],
    ],
    del: [],
  });
  let t = buildRouteTable(b.input(1));
  assert.deepEqual(
    t.lookup('a.test')?.endpoints.map((e) => e.port),
    [1, 2],
  );
  b.apply({ set: [[`${P}endpoints/a/web/2`, ep(3)]], del: [`${P}endpoints/a/web/1`] });
  const t2 = buildRouteTable(b.input(2));
  assert.deepEqual(
    t2.lookup('a.test')?.endpoints.map((e) => e.port),
    [3],
  );
  assert.deepEqual(
    t.lookup('a.test')?.endpoints.map((e) => e.port),
    [1, 2],
    'an older table is not changed',
  );
  b.apply({ set: [], del: [`${P}endpoints/a/web/2`, `${P}routes/a.test`] });
  t = buildRouteTable(b.input(3));
  assert.equal(t.lookup('a.test'), undefined);
  assert.equal(t.endpoints.length, 0);
  assert.equal(b.routeCount, 0);
});

test('a value that turns malformed removes the record and is reported', () => {
  const b = new TableInputBuilder(P);
  b.apply({ set: [[`${P}routes/a.test`, '{"app":"a"}']], del: [] });
  assert.deepEqual(b.apply({ set: [[`${P}routes/a.test`, 'nope']], del: [] }), [`${P}routes/a.test: not a route record`]);
  assert.equal(buildRouteTable(b.input(2)).lookup('a.test'), undefined);
});

test('a route down for maintenance carries its page; an oversized or non-text page falls back to the router page', () => {
  const b = new TableInputBuilder(P);
  const big = 'x'.repeat(64 * 1024 + 1);
  b.apply({
    set: [
      [`${P}routes/a.test`, JSON.stringify({ app: 'a', maintenance: { page: '<h1>back soon</h1>' } })],
      [`${P}routes/b.test`, JSON.stringify({ app: 'b', maintenance: {} })],
      [`${P}routes/c.test`, JSON.stringify({ app: 'c', maintenance: { page: big } })],
      [`${P}routes/d.test`, JSON.stringify({ app: 'd', maintenance: { page: 42 } })],
      [`${P}routes/e.test`, JSON.stringify({ app: 'e', maintenance: 'yes' })],
      [`${P}routes/f.test`, JSON.stringify({ app: 'f' })],
    ],
    del: [],
  });
  const t = buildRouteTable(b.input(1));
  assert.deepEqual(t.lookup('a.test')?.maintenance, { page: '<h1>back soon</h1>' });
  assert.deepEqual(t.lookup('b.test')?.maintenance, {});
  assert.deepEqual(t.lookup('c.test')?.maintenance, {});
  assert.deepEqual(t.lookup('d.test')?.maintenance, {});
  assert.equal(t.lookup('e.test')?.maintenance, undefined, 'not an object: no maintenance');
  assert.equal(t.lookup('f.test')?.maintenance, undefined);
});
