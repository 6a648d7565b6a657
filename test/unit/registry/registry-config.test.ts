// Issue #15 item 6: the embedded registry's config file (pure rendering) and the loopback rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, renderRegistryConfig } from '../../../src/registry/registry-config.js';

test('the config stores on the filesystem, allows manifest deletion and listens where told', () => {
  const yml = renderRegistryConfig({ rootDirectory: '/data/yb/registry/data', addr: '127.0.0.1:5000' });
  assert.match(yml, /^version: 0\.1$/m);
  assert.match(yml, /^storage:\n {2}filesystem:\n {4}rootdirectory: "\/data\/yb\/registry\/data"$/m);
  assert.match(yml, /^ {2}delete:\n {4}enabled: true$/m);
  assert.match(yml, /^http:\n {2}addr: "127\.0\.0\.1:5000"$/m);
  assert.doesNotMatch(yml, /^auth:/m, 'no authentication: loopback only');
});

test('a path with quotes or a colon stays one YAML scalar', () => {
  const yml = renderRegistryConfig({ rootDirectory: '/tmp/a "b": c', addr: '127.0.0.1:1' });
  assert.match(yml, /rootdirectory: "\/tmp\/a \\"b\\": c"/);
});

test('only loopback hosts count as loopback', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '10.0.0.1', '128.0.0.1', 'registry.internal', '']) assert.ok(!isLoopbackHost(h), h);
});
