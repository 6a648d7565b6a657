// Issue #5 (TLS, control-plane side): yb certs:add / certs / certs:remove / certs:https-only against the real
// platform: the router serves the uploaded certificate by SNI, keys are sealed in etcd and never shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { createTestPki, type Leaf, type TestPki } from '../router/tls-pki.js';
import { buildPebble, startPebble, type Pebble } from '../router/tls-pebble.js';
import { freePorts } from '../../helpers/ports.js';
import { eventually, httpsGet as tlsGet } from '../../helpers/tls-client.js';

let p: Platform;
let pki: TestPki;
let leaf: Leaf;
let tlsPort: number;
let pebble: Pebble | undefined;
let pebblePorts: [number, number, number, number];

/** One HTTPS request to the router, verified against the test CA unless `verify` is false. */
const httpsGet = (servername: string, opts: { verify?: boolean } = {}) => tlsGet(tlsPort, servername, { ca: pki.ca, verify: opts.verify });

before(async () => {
  // The ACME CA is Pebble (built from the Go module proxy); ybd must know its directory and trust its HTTPS.
  const { moduleDir } = await buildPebble();
  pebblePorts = (await freePorts(4)) as [number, number, number, number];
  p = await startPlatform({
    YB_ACME_DIRECTORY: `https://localhost:${pebblePorts[0]}/dir`,
    NODE_EXTRA_CA_CERTS: join(moduleDir, 'test/certs/pebble.minica.pem'),
  });
  tlsPort = Number(p.env.YB_ROUTER_TLS_ADDR!.split(':').pop());
  pki = await createTestPki();
  leaf = await pki.leaf(['secure.example.test']);
  const repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'tls']);
  await p.yb(['apps:create', 'other']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/tls.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  await p.yb(['domains:add', 'secure.example.test', '-a', 'tls']);
});

after(async () => {
  await p?.stop();
  await pebble?.close();
  pki?.close();
});

test('certs:add validates the pair and the hosts, then the router serves it by SNI', async () => {
  const other = await pki.leaf(['elsewhere.example.test']);
  const wrongHost = await p.yb(['certs:add', other.certFile, other.keyFile, '-a', 'tls'], { allowFail: true });
  assert.equal(wrongHost.code, 2);
  assert.match(wrongHost.stderr, /covers none of the hosts of tls/);
  const mismatched = await p.yb(['certs:add', leaf.certFile, other.keyFile, '-a', 'tls'], { allowFail: true });
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /does not belong to the certificate/);
  const notYours = await p.yb(['certs:add', leaf.certFile, leaf.keyFile, '-a', 'other'], { allowFail: true });
  assert.equal(notYours.code, 2, 'the host is routed to another app');

  const added = await p.yb(['certs:add', leaf.certFile, leaf.keyFile, '-a', 'tls']);
  assert.match(added.stdout, /Certificate for secure\.example\.test added to tls: issued by CN=Yunbang Test CA, expires \d{4}-\d\d-\d\d \(\d+ days\)/);
  const r = await eventually(
    'served certificate',
    () => httpsGet('secure.example.test'),
    (x) => x.serial === leaf.serial,
  );
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ok v1');

  const list = JSON.parse((await p.yb(['certs', '-a', 'tls', '--json'])).stdout) as {
    certificates: Array<Record<string, unknown>>;
    httpsOnly: { enabled: boolean };
  };
  assert.deepEqual(
    list.certificates.map((x) => [x.hostname, x.issuer, x.source]),
    [['secure.example.test', 'CN=Yunbang Test CA', 'manual']],
  );
  assert.ok(!('key' in list.certificates[0]!) && !('cert' in list.certificates[0]!));
  assert.equal(list.httpsOnly.enabled, false);
  const text = (await p.yb(['certs', '-a', 'tls'])).stdout;
  assert.match(text, /secure\.example\.test\s+\d{4}-\d\d-\d\d \(\d+ days\)\s+CN=Yunbang Test CA/);
});

test('the private key is sealed in etcd and appears in no log', async () => {
  const keyBody = leaf.key.split('\n')[1]!; // a line of the base64 key material
  const client = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    const raw = await client.get(`${p.env.YB_ETCD_PREFIX ?? '/yunbang/'}certs/secure.example.test`).string();
    assert.ok(raw, 'stored under certs/<host>');
    assert.ok(!raw.includes(keyBody), 'no plaintext key in etcd');
    assert.match(raw, /"\$sealed":"aes-256-gcm"/);
  } finally {
    client.close();
  }
  assert.ok(!p.output().includes(keyBody));
  assert.ok(!readFileSync(join(p.dataDir, 'logs', 'router.log'), 'utf8').includes(keyBody));
});

test('certs:https-only on redirects plain HTTP to HTTPS; off serves HTTP again', async () => {
  await p.yb(['certs:https-only', 'on', '-a', 'tls']);
  const redirected = await eventually(
    'redirect',
    () => p.fetchApp('secure.example.test', '/x?y=1'),
    (x) => x.status === 301,
  );
  assert.equal(redirected.status, 301);
  assert.equal((await p.fetchApp('tls.localhost')).status, 301, 'every host of the app');
  assert.match((await p.yb(['certs', '-a', 'tls'])).stdout, /HTTPS only: on/);
  assert.equal((await httpsGet('secure.example.test')).body, 'ok v1');
  await p.yb(['certs:https-only', 'off', '-a', 'tls']);
  const plain = await eventually(
    'plain HTTP again',
    () => p.fetchApp('secure.example.test'),
    (x) => x.status === 200,
  );
  assert.equal(plain.body, 'ok v1');
});

test('a replaced certificate is served at once; certs:remove falls back to the self-signed one', async () => {
  const next = await pki.leaf(['secure.example.test', 'www.secure.example.test']);
  writeFileSync(join(pki.dir, 'chain.pem'), next.cert + pki.ca); // leaf, then a CA as the chain
  await p.yb(['certs:add', join(pki.dir, 'chain.pem'), next.keyFile, '-a', 'tls']);
  await eventually(
    'new certificate',
    () => httpsGet('secure.example.test'),
    (x) => x.serial === next.serial,
  );
  const missing = await p.yb(['certs:remove', 'nope.example.test', '-a', 'tls'], { allowFail: true });
  assert.equal(missing.code, 4);
  await p.yb(['certs:remove', 'secure.example.test', '-a', 'tls']);
  const fb = await eventually(
    'fallback',
    () => httpsGet('secure.example.test', { verify: false }),
    (x) => x.subject === 'yunbang-router-fallback',
  );
  assert.equal(fb.body, 'ok v1', 'still routed, with the fallback certificate');
  assert.match((await p.yb(['certs', '-a', 'tls'])).stdout, /No certificates/);
});

test('certs:auto obtains certificates from an ACME CA (Pebble) over HTTP-01 through the router', async () => {
  pebble = await startPebble(Number(new URL(p.routerUrl).port), pebblePorts);
  const r = await p.yb(['certs:auto', '-a', 'tls']);
  assert.match(r.stdout, /tls\.localhost: certificate issued by .*Pebble Intermediate CA/);
  assert.match(r.stdout, /secure\.example\.test: certificate issued by .*Pebble Intermediate CA/);
  const served = await eventually(
    'ACME certificate served',
    () => httpsGet('secure.example.test', { verify: false }),
    (x) => x.issuer.includes('Pebble'),
  );
  assert.equal(served.body, 'ok v1');
  const list = JSON.parse((await p.yb(['certs', '-a', 'tls', '--json'])).stdout) as { certificates: Array<{ hostname: string; source: string }> };
  assert.deepEqual(
    list.certificates.map((x) => [x.hostname, x.source]),
    [
      ['secure.example.test', 'acme'],
      ['tls.localhost', 'acme'],
    ],
  );
  const client = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    assert.deepEqual(
      await client
        .getAll()
        .prefix(`${p.env.YB_ETCD_PREFIX ?? '/yunbang/'}certs-acme/`)
        .keys(),
      [],
      'challenge answers are removed',
    );
  } finally {
    client.close();
  }
});
