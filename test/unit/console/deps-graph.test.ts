import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutDeps, NODE_H } from '../../../console/src/lib/deps-graph.js';
import { chartPaths, niceMax } from '../../../console/src/lib/chart.js';

test('the dependency graph: dependents left, the app in the middle, apps and services it needs right, an edge each', () => {
  const g = layoutDeps('web', ['front'], ['api', 'auth'], [{ name: 'db', kind: 'postgres' }]);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  assert.deepEqual(
    g.nodes.map((n) => n.id),
    ['dependent:front', 'self:web', 'app:api', 'app:auth', 'service:db'],
  );
  assert.ok(byId.get('dependent:front')!.x < byId.get('self:web')!.x && byId.get('self:web')!.x < byId.get('app:api')!.x);
  assert.equal(byId.get('service:db')!.label, 'db (postgres)');
  assert.deepEqual(g.edges, [
    { from: 'dependent:front', to: 'self:web' },
    { from: 'self:web', to: 'app:api' },
    { from: 'self:web', to: 'app:auth' },
    { from: 'self:web', to: 'service:db' },
  ]);
  const ys = g.nodes.filter((n) => n.x === byId.get('app:api')!.x).map((n) => n.y);
  assert.ok(
    ys.every((y, i) => i === 0 || y >= ys[i - 1]! + NODE_H),
    'nodes of a column do not overlap',
  );
  assert.ok(g.nodes.every((n) => n.y >= 0 && n.y + NODE_H <= g.height));
  const alone = layoutDeps('solo', [], [], []);
  assert.deepEqual(
    alone.nodes.map((n) => n.id),
    ['self:solo'],
  );
  assert.deepEqual(alone.edges, []);
});

test('chart paths share one nice scale and break at gaps', () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(3.2), 5);
  assert.equal(niceMax(10), 10);
  assert.equal(niceMax(11), 20);
  assert.equal(niceMax(Number.NaN), 1);
  const { paths, max } = chartPaths(
    [
      { name: 'a', values: [0, 5, null, 10] },
      { name: 'b', values: [1, 1, 1, 1] },
    ],
    300,
    100,
  );
  assert.equal(max, 10);
  assert.equal(paths[0], 'M0.0 100.0 L100.0 50.0 M300.0 0.0');
  assert.equal(paths[1], 'M0.0 90.0 L100.0 90.0 L200.0 90.0 L300.0 90.0');
  assert.deepEqual(chartPaths([{ name: 'x', values: [] }], 10, 10).paths, ['']);
});
