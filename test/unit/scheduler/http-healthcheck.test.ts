import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpHealthcheck, passesFromHost } from '../../../src/scheduler/http-healthcheck.js';

const sh = (line: string) => ['/bin/sh', '-c', line];

test('plain curl and wget checks of the web port are understood', () => {
  assert.deepEqual(httpHealthcheck(sh('curl -fsS -o /dev/null http://127.0.0.1:8000/ || exit 1'), 8000), {
    method: 'GET',
    path: '/',
    host: '127.0.0.1:8000',
    failOnHttpError: true,
    followsRedirects: false,
    timeoutMs: undefined,
  });
  assert.deepEqual(httpHealthcheck(['curl', '--fail', '--max-time', '2', 'http://localhost:3000/health?deep=1'], 3000), {
    method: 'GET',
    path: '/health?deep=1',
    host: 'localhost:3000',
    failOnHttpError: true,
    followsRedirects: false,
    timeoutMs: 2000,
  });
  assert.equal(httpHealthcheck(sh("curl -s 'http://localhost:5000/up'"), 5000)?.failOnHttpError, false);
  assert.equal(httpHealthcheck(sh('/usr/bin/curl -fI http://localhost:5000/'), 5000)?.method, 'HEAD');
  assert.deepEqual(httpHealthcheck(sh('wget --no-verbose --tries=1 --spider http://localhost:3000/ || exit 1'), 3000), {
    method: 'HEAD',
    path: '/',
    host: 'localhost:3000',
    failOnHttpError: true,
    followsRedirects: true,
    timeoutMs: undefined,
  });
  assert.equal(httpHealthcheck(sh('wget -qO- -T 3 http://0.0.0.0:80/ping'), 80)?.timeoutMs, 3000);
  assert.equal(httpHealthcheck(sh('wget -q -O /dev/null http://localhost/ping'), 80)?.host, 'localhost');
});

test('anything else is left to the command itself', () => {
  for (const cmd of [
    sh('curl -f http://127.0.0.1:9000/ || exit 1'), // another port than the web port
    sh('curl -f http://db:8000/'), // another host
    sh('curl -fL http://127.0.0.1:8000/'), // follows redirects
    sh('curl -f https://127.0.0.1:8000/'), // TLS
    sh('curl -f -H "X-Probe: 1" http://127.0.0.1:8000/'), // an option not understood
    sh('curl -f -o /tmp/out http://127.0.0.1:8000/'), // writes a file
    sh('curl -f http://127.0.0.1:8000/ && touch /tmp/ok'), // more shell
    sh('curl -f http://127.0.0.1:8000/$(hostname)'), // expansion
    sh('curl -f http://127.0.0.1:8000/a;b'),
    sh('curl -f http://127.0.0.1:8000/ http://127.0.0.1:8000/b'), // two URLs
    sh('test -f /tmp/ready'),
    sh('pg_isready'),
    ['curl', '-f', 'http://127.0.0.1:8000/ && true'],
    ['wget', '--spider', '--header=X: 1', 'http://localhost:8000/'],
    null,
    [],
  ])
    assert.equal(httpHealthcheck(cmd, 8000), null, JSON.stringify(cmd));
});

test('only a pass is taken from the host', () => {
  const curlF = httpHealthcheck(sh('curl -f http://127.0.0.1:8000/'), 8000)!;
  assert.equal(passesFromHost(curlF, 200), true);
  assert.equal(passesFromHost(curlF, 302), true);
  assert.equal(passesFromHost(curlF, 404), false);
  assert.equal(passesFromHost(curlF, 503), false);
  const curlPlain = httpHealthcheck(sh('curl -s http://127.0.0.1:8000/'), 8000)!;
  assert.equal(passesFromHost(curlPlain, 500), true);
  const wget = httpHealthcheck(sh('wget -q --spider http://127.0.0.1:8000/'), 8000)!;
  assert.equal(passesFromHost(wget, 204), true);
  assert.equal(passesFromHost(wget, 301), false);
  assert.equal(passesFromHost(wget, 500), false);
});
