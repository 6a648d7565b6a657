import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkEscapes } from '../../../src/build/source.js';

test('links inside the tree are fine; absolute targets and .. past the top escape', () => {
  assert.equal(linkEscapes('/b/src', '/b/src/a/link', '../x'), false);
  assert.equal(linkEscapes('/b/src', '/b/src/a/link', 'sub/file'), false);
  assert.equal(linkEscapes('/b/src', '/b/src/link', '.'), false);
  assert.equal(linkEscapes('/b/src', '/b/src/a/link', '../../x'), true);
  assert.equal(linkEscapes('/b/src', '/b/src/link', '..'), true);
  assert.equal(linkEscapes('/b/src', '/b/src/link', '/etc/passwd'), true);
});
