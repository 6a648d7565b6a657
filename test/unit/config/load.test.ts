import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../src/config/load.js';

test('the unpack limits default to 1 GiB and 200,000 entries and must be at least 1', () => {
  const cfg = loadConfig({});
  assert.equal(cfg.maxUnpackedMiB, 1024);
  assert.equal(cfg.maxUnpackedFiles, 200_000);
  assert.equal(loadConfig({ YB_MAX_UNPACKED_MB: '64' }).maxUnpackedMiB, 64);
  assert.throws(
    () => loadConfig({ YB_MAX_UNPACKED_MB: '0', YB_MAX_UNPACKED_FILES: 'many' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, ['YB_MAX_UNPACKED_MB="0" must be at least 1', 'YB_MAX_UNPACKED_FILES="many" must be a whole number']);
      return true;
    },
  );
});
