// OCSP stapling against a real responder: `openssl ocsp` answering from an index of a CA made here (served over
// loopback HTTP by a small bridge, since openssl 3.0's own responder listens on every interface), a real etcd and a
// yb-router. The router fetches the response named by the leaf's authorityInfoAccess and staples it; responders
// that hang, answer too much or answer garbage never break or slow a handshake and are asked once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect as tlsConnect } from 'node:tls';
import {
  startEtcd,
  startUpstream,
  startTestRouter,
  uniquePrefix,
  putRoute,
  putEndpoint,
  type Etcd,
  type Upstream,
  putCert as putCertRecord,
} from './harness.js';
import { loadSecretBox, type SecretBox } from '../../../src/auth/secrets.js';
import type { RunningRouter } from '../../../src/router/router.js';
import { fetchOcsp } from '../../../src/router/tls-ocsp.js';
import { until } from '../../helpers/until.js';
import { createTestPki, type TestPki } from './tls-pki.js';

const run = promisify(execFile);
let pki: TestPki;
/** The test CA's directory (pki.dir): its ca.crt and ca.key, the responder's index.txt, requests and answers. */
let dir: string;
let etcd: Etcd;
let box: SecretBox;
let upstream: Upstream;
let router: RunningRouter;
let tlsPort: number;
let caPem: string;
const prefix = uniquePrefix();
const servers: Server[] = [];

/** A leaf for `host` signed by the test CA, naming `ocspUrl` as its responder, listed as valid in the CA's index. */
async function leafFor(host: string, ocspUrl: string): Promise<{ cert: string; key: string; certFile: string }> {
  const leaf = await pki.leaf([host], 5, [`authorityInfoAccess=OCSP;URI:${ocspUrl}`]);
  appendFileSync(join(dir, 'index.txt'), `V\t301231000000Z\t\t${leaf.serial}\tunknown\t/CN=${host}\n`);
  return leaf;
}

/** Routes `host` to the upstream and stores its certificate, with the CA after the leaf (the issuer for OCSP). */
async function serve(host: string, leaf: { cert: string; key: string }): Promise<void> {
  await putRoute(etcd.client, prefix, host, 'ocsp');
  const revision = await putCertRecord(etcd.client, prefix, box, {
    app: 'ocsp',
    hostname: host,
    chain: leaf.cert + caPem,
    key: leaf.key,
    issuer: 'OCSP Test CA',
  });
  await router.waitPublished(revision);
}

/** An HTTP server on loopback; counts requests. */
async function listen(
  handler: (path: string, res: import('node:http').ServerResponse, socket: Socket) => void,
): Promise<{ url: string; requests: () => number; closed: () => number }> {
  let requests = 0;
  let closed = 0;
  const s = createServer((req, res) => {
    requests++;
    req.socket.once('close', () => closed++);
    handler(req.url ?? '/', res, req.socket);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}/ocsp`, requests: () => requests, closed: () => closed };
}

/** One handshake asking for a stapled response; resolves with it (undefined: none) once verified and closed. */
function handshake(host: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let staple: Buffer | undefined;
    const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, servername: host, ca: caPem, requestOCSP: true }, () => s.end());
    s.on('OCSPResponse', (r: Buffer | null) => (staple = r && r.length > 0 ? r : undefined));
    s.on('error', reject);
    s.on('data', () => undefined);
    s.on('close', () => resolve(staple));
  });
}

before(async () => {
  pki = await createTestPki();
  dir = pki.dir;
  caPem = pki.ca;
  writeFileSync(join(dir, 'index.txt'), '');
  etcd = await startEtcd();
  const dataDir = mkdtempSync(join(dir, 'data-'));
  box = await loadSecretBox(dataDir);
  upstream = await startUpstream('ocsp');
  await putEndpoint(etcd.client, prefix, 'ocsp', 'web.1', upstream.port);
  router = await startTestRouter(etcd.etcd.endpoint, prefix, { tlsListen: { host: '127.0.0.1', port: 0 }, dataDir, outboundPrivate: true });
  tlsPort = router.addresses().https!.port;
});

after(async () => {
  await router?.close();
  for (const s of servers) s.closeAllConnections(), s.close();
  await upstream?.close();
  await etcd?.close();
  pki?.close();
});

test("the responder named in the certificate is asked once; its answer is stapled and verifies as 'good'", async () => {
  // GET /ocsp/<base64 DER> → openssl ocsp in responder mode, one request in, one response out.
  let k = 0;
  const responder = await listen((path, res) => {
    const reqFile = join(dir, `req${++k}.der`);
    const respFile = join(dir, `resp${k}.der`);
    writeFileSync(reqFile, Buffer.from(decodeURIComponent(path.slice('/ocsp/'.length)), 'base64'));
    const ca = join(dir, 'ca.crt');
    execFile(
      'openssl',
      [
        'ocsp',
        '-index',
        join(dir, 'index.txt'),
        '-CA',
        ca,
        '-rsigner',
        ca,
        '-rkey',
        join(dir, 'ca.key'),
        '-reqin',
        reqFile,
        '-respout',
        respFile,
        '-ndays',
        '1',
      ],
      (err) => {
        if (err) return res.writeHead(500).end();
        res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(readFileSync(respFile));
      },
    );
  });
  const leaf = await leafFor('good.ocsp.test', responder.url);
  await serve('good.ocsp.test', leaf);
  const staple = await until('a stapled OCSP response', () => handshake('good.ocsp.test'));
  const file = join(dir, 'stapled.der');
  writeFileSync(file, staple);
  const ca = join(dir, 'ca.crt');
  const check = await run('openssl', ['ocsp', '-respin', file, '-CAfile', ca, '-issuer', ca, '-cert', leaf.certFile]);
  assert.match(check.stdout, /: good/);
  for (let i = 0; i < 5; i++) assert.ok(await handshake('good.ocsp.test'), 'stapled from the cache');
  assert.equal(responder.requests(), 1, 'fetched once, then cached until nextUpdate');
});

test('a responder that never answers: handshakes go on without a staple, and it is asked once', async () => {
  const slow = await listen(() => undefined);
  await serve('slow.ocsp.test', await leafFor('slow.ocsp.test', slow.url));
  assert.equal(await handshake('slow.ocsp.test'), undefined);
  await until('the fetch to reach the responder', () => slow.requests() === 1);
  for (let i = 0; i < 5; i++) assert.equal(await handshake('slow.ocsp.test'), undefined);
  await until('the router to give up on the responder', () => slow.closed() === 1, 30_000);
  assert.equal(await handshake('slow.ocsp.test'), undefined);
  assert.equal(slow.requests(), 1);
});

test('without YB_OUTBOUND_PRIVATE a responder on loopback is never asked (a tenant cannot reach local services)', async () => {
  const local = await listen((_p, res) => res.writeHead(500).end());
  const leaf = await leafFor('private.ocsp.test', local.url);
  const der = Buffer.from(leaf.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  await assert.rejects(fetchOcsp(local.url, der, false), /127\.0\.0\.1 is a loopback address, which the platform does not connect to for users/);
  await assert.rejects(fetchOcsp(local.url.replace('127.0.0.1', 'localhost'), der, false), /loopback address/);
  await assert.rejects(fetchOcsp('http://169.254.169.254/', der, true), /link-local/);
  assert.equal(local.requests(), 0);
});

test('a responder answering 4 MiB is cut off; one answering garbage is not stapled', async () => {
  const huge = await listen((_p, res) => res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(Buffer.alloc(4 << 20, 0x30)));
  const junk = await listen((_p, res) => res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(Buffer.from('3082ffff0a0100a0', 'hex')));
  await serve('huge.ocsp.test', await leafFor('huge.ocsp.test', huge.url));
  await serve('junk.ocsp.test', await leafFor('junk.ocsp.test', junk.url));
  for (const [host, server] of [
    ['huge.ocsp.test', huge],
    ['junk.ocsp.test', junk],
  ] as const) {
    assert.equal(await handshake(host), undefined);
    await until(`${host}'s answer to be read`, () => server.closed() === 1 || undefined, 30_000).catch(() => undefined);
    await until(`the fetch from ${host}`, () => server.requests() === 1);
    for (let i = 0; i < 3; i++) assert.equal(await handshake(host), undefined);
    assert.equal(server.requests(), 1);
  }
  // Other certificates are stapled as before.
  assert.ok(await until('a staple for the good host', () => handshake('good.ocsp.test')));
});
