import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedPort, renderRunDockerfile } from '../../../src/build/run-image.js';
import { registryEnv } from '../../../src/build/registries.js';

test('the first exposed TCP port is the web port', () => {
  assert.equal(exposedPort({ '8080/tcp': {}, '53/udp': {}, '3000/tcp': {} }), 3000);
  assert.equal(exposedPort({ '53/udp': {} }), undefined);
  assert.equal(exposedPort(undefined), undefined);
});

test('the run image puts the runtime layer below the app and runs unprivileged', () => {
  const df = renderRunDockerfile('yunbang/stack:latest');
  assert.match(df, /^FROM yunbang\/stack:latest\n/);
  assert.ok(df.indexOf('runtime /app/.heroku') < df.indexOf('src /app'));
  assert.match(df, /USER 1000:1000/);
});

test('registry settings and the CA bundle reach builds only when set', () => {
  assert.deepEqual(registryEnv({ npmRegistry: '', pipIndex: '', goProxy: '' }, null), {});
  const env = registryEnv({ npmRegistry: 'http://mirror.invalid/npm/', pipIndex: '', goProxy: 'off' }, '/ca.pem');
  assert.equal(env.NPM_CONFIG_REGISTRY, 'http://mirror.invalid/npm/');
  assert.equal(env.GOPROXY, 'off');
  assert.equal(env.SSL_CERT_FILE, '/ca.pem');
  assert.equal(env.PIP_INDEX_URL, undefined);
});
