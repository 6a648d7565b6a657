'use strict';
// Unit tests of the PHP buildpack's pure parts: detect and release. No PHP, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const { appDir } = require('../../test/app-dir.js');

const bp = path.resolve(__dirname, '..');
const app = (files) => appDir('yb-php-test-', files);

test('detect: composer.json, index.php or public/index.php', () => {
  for (const files of [{ 'composer.json': '{}' }, { 'index.php': '<?php' }, { 'public/index.php': '<?php' }]) {
    assert.equal(spawnSync(`${bp}/bin/detect`, [app(files)]).status, 0, JSON.stringify(files));
  }
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'index.html': '' })]).status, 1);
});

test('release: the built-in server on $PORT over the chosen document root', () => {
  assert.equal(
    execFileSync(`${bp}/bin/release`, [app({})], { encoding: 'utf8' }),
    '---\ndefault_process_types:\n  web: php -S 0.0.0.0:$PORT -t $YB_PHP_DOCROOT\n',
  );
});
