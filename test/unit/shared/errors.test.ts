import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERRORS, YbError, errorId, codeFromId } from '../../../src/shared/errors.js';
import { loadConfig, ConfigError } from '../../../src/config/load.js';

test('every error code has an HTTP status, an exit code and a message, and round-trips through its id', () => {
  for (const [code, e] of Object.entries(ERRORS)) {
    assert.ok(e.status >= 400 && e.status < 600, code);
    assert.ok(e.exit > 0, code);
    assert.ok(e.message.length > 0, code);
    assert.equal(codeFromId(errorId(code as keyof typeof ERRORS)), code);
  }
  const e = new YbError('YB_ERR_APP_NOT_FOUND');
  assert.equal(e.status, 404);
  assert.equal(errorId(e.code), 'app_not_found');
});

test('config loads defaults and reports every bad value at once', () => {
  const cfg = loadConfig({});
  assert.deepEqual(cfg.apiAddr, { host: '127.0.0.1', port: 5050 });
  assert.deepEqual(cfg.etcdEndpoints, []);
  assert.throws(
    () => loadConfig({ YB_API_ADDR: 'nope', YB_BUILD_CONCURRENCY: 'x' }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 2,
  );
});

test('addresses and CIDR ranges are told from anything else', async () => {
  const { isAddressOrRange } = await import('../../../src/config/load.js');
  for (const ok of ['127.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '192.168.1.0/24']) assert.equal(isAddressOrRange(ok), true, ok);
  for (const bad of ['', 'proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/8/1', '10.0.0/8', '1.2.3.4/-1'])
    assert.equal(isAddressOrRange(bad), false, bad);
});

test('decimal settings take numbers such as 1.5 and refuse anything else', () => {
  assert.equal(loadConfig({ YB_BUILD_CPUS: '1.5' }).buildCpus, 1.5);
  assert.equal(loadConfig({}).buildCpus, 0);
  assert.throws(
    () => loadConfig({ YB_BUILD_CPUS: 'two' }),
    (err: unknown) => err instanceof ConfigError && /YB_BUILD_CPUS="two" must be a number such as 1\.5/.test(err.message),
  );
});
