// The platform version comes from package.json; yb warns when the server's differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM_VERSION, versionMismatch } from '../../../src/shared/version.js';

test("the platform version is package.json's", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  assert.equal(PLATFORM_VERSION, pkg.version);
});

test('equal versions say nothing; different ones name both in one sentence', () => {
  assert.equal(versionMismatch('0.2.0', '0.2.0'), null);
  const w = versionMismatch('0.1.0', '0.2.0');
  assert.match(w ?? '', /yb 0\.1\.0 .* 0\.2\.0/);
});
