// Per-kind commands run inside service containers: argument arrays, passwords only in the environment (issue #7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, SERVICE_KINDS, kindOfScheme, isServiceKind } from '../../../src/services/kinds.js';
import { generateConnection } from '../../../src/services/credentials.js';

test('no health, backup or restore command carries the password in its arguments', () => {
  for (const kind of SERVICE_KINDS) {
    const c = generateConnection(kind, 'some-svc');
    const steps = [KINDS[kind].health(c), KINDS[kind].backup(c, '/backups/x'), KINDS[kind].restore(c, '/backups/x')].filter((s) => s !== null);
    for (const s of steps) {
      assert.ok(!s.cmd.some((a) => a.includes(c.password)), `${kind}: ${s.cmd[0]} has no password in argv`);
      assert.ok(Object.values(s.env).includes(c.password), `${kind}: ${s.cmd[0]} gets the password by env`);
    }
  }
});

test('generated credentials: random user and URL-safe password, database named after the service', () => {
  const a = generateConnection('postgres', 'main-db');
  const b = generateConnection('postgres', 'main-db');
  assert.notEqual(a.password, b.password);
  assert.notEqual(a.user, b.user);
  assert.match(a.password, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(a.database, 'main_db');
  assert.equal(a.host, 'main-db');
  assert.deepEqual([generateConnection('redis', 'cache').user, generateConnection('redis', 'cache').database], ['default', '0']);
  assert.equal(generateConnection('mysql', 'm-db').port, 3306);
});

test('URL schemes name kinds', () => {
  assert.deepEqual(['postgres', 'postgresql:', 'REDIS', 'rediss', 'mysql2', 'mariadb', 'http'].map(kindOfScheme), [
    'postgres',
    'postgres',
    'redis',
    'redis',
    'mysql',
    'mysql',
    null,
  ]);
  assert.equal(isServiceKind('mysql'), true);
  assert.equal(isServiceKind('mongodb'), false);
});
