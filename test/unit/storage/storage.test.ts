// Volume names and mount paths (src/storage/storage.ts): what a tenant may name and where it may mount. A volume
// name ends up in the engine's bind syntax (`name:path`), so anything but the plain forms is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMountPath, checkVolumeName } from '../../../src/storage/storage.js';

test('volume names: short, lowercase, no path or bind syntax', () => {
  for (const ok of ['uploads', 'db-files', 'a1']) assert.equal(checkVolumeName(ok), ok);
  for (const bad of ['', 'a', 'Uploads', '1st', 'a_b', '/etc', 'a:b', '../x', 'x-', 'a'.repeat(33), 42, null]) {
    assert.throws(() => checkVolumeName(bad), /a volume name is 2-32 lowercase letters/, String(bad));
  }
});

test('mount paths: absolute and plain, never over system directories', () => {
  assert.equal(checkMountPath('/data'), '/data');
  assert.equal(checkMountPath('/app/public/files/'), '/app/public/files');
  assert.equal(checkMountPath('/var/lib/app'), '/var/lib/app');
  for (const [bad, why] of [
    ['data', /absolute path/],
    ['/data:ro', /absolute path/],
    ['/da ta', /absolute path/],
    ['/data\n/x', /absolute path/],
    ['/a/../etc', /"\." or "\.\."/],
    ['/a/./b', /"\." or "\.\."/],
    ['/', /system directory/],
    ['/etc', /system directory/],
    ['/usr', /system directory/],
    ['/proc/1', /system directory/],
    ['/sys/fs/cgroup', /system directory/],
    ['/dev/shm', /system directory/],
    [`/${'a'.repeat(250)}`, /absolute path/],
  ] as Array<[string, RegExp]>) {
    assert.throws(() => checkMountPath(bad), why, bad);
  }
});
