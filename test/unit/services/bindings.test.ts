// Config vars of service links and app dependencies, aliases, names and attached URLs (issue #7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkServiceName, connectionUrl, depAlias, depVars, linkVars, normaliseAlias, parseAttachedUrl } from '../../../src/services/bindings.js';
import type { Connection } from '../../../src/services/kinds.js';

const pg: Connection = { scheme: 'postgres', host: 'main-db', port: 5432, user: 'u1', password: 'p_w-1', database: 'main_db' };

test('a link sets <ALIAS>_URL and the five connection parts, nothing else', () => {
  assert.deepEqual(linkVars(pg, 'DATABASE'), {
    DATABASE_URL: 'postgres://u1:p_w-1@main-db:5432/main_db',
    DATABASE_HOST: 'main-db',
    DATABASE_PORT: '5432',
    DATABASE_USER: 'u1',
    DATABASE_PASSWORD: 'p_w-1',
    DATABASE_NAME: 'main_db',
  });
  assert.deepEqual(Object.keys(linkVars(pg, 'ANALYTICS')), [
    'ANALYTICS_URL',
    'ANALYTICS_HOST',
    'ANALYTICS_PORT',
    'ANALYTICS_USER',
    'ANALYTICS_PASSWORD',
    'ANALYTICS_NAME',
  ]);
});

test('URLs percent-encode credentials; an attached URL is passed through exactly', () => {
  assert.equal(connectionUrl({ ...pg, user: 'a@b', password: 'x/y:z' }), 'postgres://a%40b:x%2Fy%3Az@main-db:5432/main_db');
  assert.equal(connectionUrl({ scheme: 'redis', host: 'cache', port: 6379, user: '', password: '', database: '' }), 'redis://cache:6379');
  const raw = 'postgres://user:s%40cret@db.example.com/app?sslmode=require';
  const { kind, connection } = parseAttachedUrl(raw);
  assert.equal(kind, 'postgres');
  assert.deepEqual({ ...connection }, { scheme: 'postgres', host: 'db.example.com', port: 5432, user: 'user', password: 's@cret', database: 'app', url: raw });
  assert.equal(linkVars(connection, 'DATABASE').DATABASE_URL, raw);
});

test('attached URLs: known schemes give a kind and default port; others bind as given', () => {
  assert.equal(parseAttachedUrl('rediss://:pw@cache.example.com').kind, 'redis');
  assert.equal(parseAttachedUrl('rediss://:pw@cache.example.com').connection.port, 6379);
  assert.equal(parseAttachedUrl('mysql://u:p@h/db').connection.port, 3306);
  const other = parseAttachedUrl('https://search.example.com/index');
  assert.equal(other.kind, null);
  assert.equal(other.connection.port, 443);
  assert.throws(() => parseAttachedUrl('not a url'), { code: 'YB_ERR_BAD_REQUEST' });
});

test('aliases are upper-cased, dashes become underscores, a trailing _URL is dropped', () => {
  assert.equal(normaliseAlias('analytics'), 'ANALYTICS');
  assert.equal(normaliseAlias('session-store'), 'SESSION_STORE');
  assert.equal(normaliseAlias('CACHE_URL'), 'CACHE');
  for (const bad of ['1X', '', 'A B', 'é']) assert.throws(() => normaliseAlias(bad), { code: 'YB_ERR_INVALID_NAME' });
});

test('service names follow app names (they share the team network DNS)', () => {
  assert.equal(checkServiceName('main-db'), 'main-db');
  for (const bad of ['DB', 'a', '-db', 'db-', 'my--db', 'x'.repeat(31), 'db_1']) assert.throws(() => checkServiceName(bad), { code: 'YB_ERR_INVALID_NAME' });
});

test('a dependency points at the other app by its network alias and web port', () => {
  assert.equal(depAlias('billing-api'), 'BILLING_API');
  assert.deepEqual(depVars('billing-api', 5000), { BILLING_API_URL: 'http://billing-api:5000', BILLING_API_HOST: 'billing-api', BILLING_API_PORT: '5000' });
});
