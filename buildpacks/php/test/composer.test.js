'use strict';
// Tests of the PHP buildpack's Composer step (issue #20) that need PHP: run in the builder image (the host has no
// PHP), no network. Without a Composer repository the build fails with the clear sentence; a repository URL that
// is not http(s) is refused; the global config Composer reads is JSON written by PHP, whatever the URL holds.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { appDir } = require('../../test/app-dir.js');

const buildpacks = path.resolve(__dirname, '../..');
const app = (files) => appDir('yb-php-composer-', files);
// Runs bash code with lib/composer.sh sourced in yunbang/builder, BUILD_DIR = the app, TMP_DIR a scratch folder.
const inBuilder = (dir, code, env = {}) => {
  fs.chmodSync(dir, 0o755);
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return spawnSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${buildpacks}:/buildpacks:ro`,
      '-v',
      `${dir}:/tmp/build:ro`,
      ...envArgs,
      'yunbang/builder:latest',
      'bash',
      '-c',
      `set -euo pipefail; BP_DIR=/buildpacks/php BUILD_DIR=/tmp/build CACHE_DIR=$(mktemp -d) TMP_DIR=$(mktemp -d); . /buildpacks/lib/output.sh; . /buildpacks/php/lib/composer.sh; ${code}`,
    ],
    { encoding: 'utf8' },
  );
};
const requiring = { 'composer.json': JSON.stringify({ require: { php: '>=8.1', 'ext-json': '*', 'monolog/monolog': '^3.0' } }) };

test('without YB_COMPOSER_REPO, an app that requires packages fails with the clear sentence', () => {
  const r = inBuilder(app(requiring), 'install_composer_packages');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /composer\.json requires packages \(monolog\/monolog\), but this platform has no Composer repository \(YB_COMPOSER_REPO\)/);
  assert.match(r.stderr, /commit the vendor\/ directory/);
});

test('no packages required, or a committed vendor/, needs no repository', () => {
  assert.equal(inBuilder(app({ 'composer.json': '{"require": {"php": "^8.1", "ext-ctype": "*"}}' }), 'install_composer_packages').status, 0);
  const r = inBuilder(app({ ...requiring, 'vendor/autoload.php': '<?php' }), 'install_composer_packages');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /using the committed vendor\/ directory/);
});

test('a repository URL that is not http(s) is refused', () => {
  const r = inBuilder(app(requiring), 'install_composer_packages', { COMPOSER_REPO_URL: 'file:///etc' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the Composer repository "file:\/\/\/etc" \(YB_COMPOSER_REPO\) is not an http\(s\) URL/);
});

test('the global config replaces packagist.org; secure-http stays on for https; hostile URLs stay data', () => {
  const config = (url) => {
    const r = inBuilder(app(requiring), 'COMPOSER_HOME=$TMP_DIR; composer_global_config; cat $COMPOSER_HOME/config.json', { COMPOSER_REPO_URL: url });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  assert.deepEqual(config('https://mirror.invalid/composer'), {
    config: { 'secure-http': true },
    repositories: { 'packagist.org': { type: 'composer', url: 'https://mirror.invalid/composer' } },
  });
  assert.equal(config('http://10.0.0.1:8080')['config']['secure-http'], false);
  const hostile = 'https://x.invalid/"},"repositories":{"evil":1},"a":"$(id)';
  assert.equal(config(hostile).repositories['packagist.org'].url, hostile);
});

test('metadata: required packages with the versions Composer installed', () => {
  const dir = app({
    ...requiring,
    'vendor/composer/installed.json': JSON.stringify({
      packages: [
        { name: 'monolog/monolog', version: '3.7.0' },
        { name: 'psr/log', version: '3.0.2' },
      ],
    }),
  });
  const r = inBuilder(dir, 'composer_dependencies_json');
  assert.deepEqual(JSON.parse(r.stdout), { 'monolog/monolog': '3.7.0' });
});
