// TLS session resumption across the router's worker processes, against real etcd, a real upstream and a two-worker
// yb-router: the primary's ticket key reaches every worker (tls-tickets.ts), so a session made on one worker resumes
// on the other (TLS 1.3 and 1.2); every TLS 1.3 resumption brings a new ticket; the key is replaced on rotation in
// every worker, and tickets of the key before still resume. A client that stalls mid-handshake does not hold up others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { startEtcd, startUpstream, startTestRouter, uniquePrefix, putRoute, putEndpoint, type Etcd, type Upstream } from './harness.js';
import { createTestPki, type TestPki } from './tls-pki.js';
import { keys } from '../../../src/store/keys.js';
import { loadSecretBox } from '../../../src/auth/secrets.js';
import { certKeyContext, type CertRecord } from '../../../src/router/tls-record.js';
import type { RunningRouter } from '../../../src/router/router.js';
import { until } from '../../helpers/until.js';
import { freePorts } from '../../helpers/ports.js';

const HOST = 'resume.example.test';
let etcd: Etcd;
let pki: TestPki;
let dataDir: string;
let upstream: Upstream;
let router: RunningRouter;
let tlsPort: number;
const prefix = uniquePrefix();

interface Answer {
  reused: boolean;
  /** The last session ticket the server sent on this connection. */
  session: Buffer | undefined;
  /** The name of the key that ticket is sealed with (its first 16 bytes), hex. */
  keyName: string | undefined;
  /** The request id's per-process part: which worker served the request (request-id.ts). */
  worker: string;
}

/** One request on a new TLS connection, resuming `session` when given. */
function getOnce(session: Buffer | undefined, maxVersion: SecureVersion, port = tlsPort): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    let keyName: string | undefined;
    let raw = '';
    let reused = false;
    const s = tlsConnect({ host: '127.0.0.1', port, servername: HOST, ca: pki.ca, session, maxVersion, minVersion: maxVersion }, () => {
      reused = s.isSessionReused(); // asked now: the answer is gone once the socket closed
      s.write(`GET / HTTP/1.1\r\nhost: ${HOST}\r\nconnection: close\r\n\r\n`);
    });
    s.on('session', (t: Buffer) => {
      ticket = t;
      keyName = s.getTLSTicket()?.subarray(0, 16).toString('hex');
    });
    s.setEncoding('utf8');
    s.on('data', (d: string) => (raw += d));
    s.on('error', reject);
    s.on('close', () => {
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      try {
        const id = String((JSON.parse(body) as { headers: Record<string, string> }).headers['x-request-id']);
        resolve({ reused, session: ticket, keyName, worker: id.slice(0, 24) });
      } catch {
        reject(new Error(`unexpected answer: ${raw.slice(0, 200)}`));
      }
    });
  });
}

before(async () => {
  etcd = await startEtcd();
  pki = await createTestPki();
  dataDir = mkdtempSync(join(tmpdir(), 'yb-router-tls-sessions-'));
  const box = await loadSecretBox(dataDir);
  upstream = await startUpstream('resume');
  const leaf = await pki.leaf([HOST]);
  await putRoute(etcd.client, prefix, HOST, 'resume');
  await putEndpoint(etcd.client, prefix, 'resume', 'web.1', upstream.port);
  const rec: CertRecord = {
    app: 'resume',
    hostname: HOST,
    cert: leaf.cert,
    key: box.seal(leaf.key, certKeyContext(HOST)),
    names: [HOST],
    notBefore: '',
    notAfter: '',
    issuer: 'Yunbang Test CA',
    subject: HOST,
    fingerprint: '',
    source: 'manual',
    createdAt: new Date().toISOString(),
  };
  await etcd.client.put(keys(prefix).cert(HOST)).value(JSON.stringify(rec)).exec();
  router = await startTestRouter(etcd.etcd.endpoint, prefix, { tlsListen: { host: '127.0.0.1', port: 0 }, dataDir, workers: 2 });
  tlsPort = router.addresses().https!.port;
});

after(async () => {
  await router?.close();
  await upstream?.close();
  await etcd?.close();
  pki?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${version}: a session from one worker resumes on every connection, on both workers`, async () => {
    const first = await getOnce(undefined, version);
    assert.equal(first.reused, false);
    assert.ok(first.session, 'the router sent a session ticket');
    const workers = new Set<string>([first.worker]);
    const notReused: number[] = [];
    for (let i = 0; i < 24; i++) {
      const a = await getOnce(first.session, version);
      workers.add(a.worker);
      if (!a.reused) notReused.push(i);
    }
    assert.equal(workers.size, 2, 'the connections reached both workers');
    assert.deepEqual(notReused, [], 'every connection resumed the first session');
  });
}

test('TLSv1.3: each resumption brings a new ticket (as nginx), so a client that uses each ticket once resumes every connection', async () => {
  // TLS 1.3 clients use a ticket once (RFC 8446 §C.4): node:tls on its own sends none on a resumed connection, and
  // such a client made a full handshake every other connection.
  let session = (await getOnce(undefined, 'TLSv1.3')).session;
  const workers = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const a = await getOnce(session, 'TLSv1.3');
    assert.equal(a.reused, true, `connection ${i} resumed the previous connection's ticket`);
    assert.ok(a.session, `connection ${i} brought a new ticket`);
    assert.notDeepEqual(a.session, session);
    workers.add(a.worker);
    session = a.session;
  }
  assert.equal(workers.size, 2, 'the connections reached both workers');
});

test('a rotated ticket key reaches every worker: tickets of the key before still resume, older ones stop, new ones resume on both workers', async () => {
  // Ports of their own: node:cluster gives workers of one primary asking for port 0 the same listener.
  const [http, https] = await freePorts(2);
  const rotating = await startTestRouter(etcd.etcd.endpoint, prefix, {
    listen: { host: '127.0.0.1', port: http! },
    tlsListen: { host: '127.0.0.1', port: https! },
    dataDir,
    workers: 2,
    ticketRotateMs: 3000,
  });
  try {
    const port = rotating.addresses().https!.port;
    const old = await getOnce(undefined, 'TLSv1.3', port);
    assert.ok(old.keyName);
    // After the first rotation (fresh tickets name another key) the old ticket still resumes, on both workers.
    await until('a ticket sealed with the next key', async () => (await getOnce(undefined, 'TLSv1.3', port)).keyName !== old.keyName);
    await until('the old ticket to reach both workers', async () => {
      const [a, b] = [await getOnce(old.session, 'TLSv1.3', port), await getOnce(old.session, 'TLSv1.3', port)];
      assert.ok(a.reused && b.reused, 'a ticket of the previous key resumes');
      return a.worker !== b.worker; // the kernel spreads connections by address hash: retried until both were reached
    });
    // After the second, both workers refuse it.
    await until('the old ticket to be refused by both workers', async () => {
      const [a, b] = [await getOnce(old.session, 'TLSv1.3', port), await getOnce(old.session, 'TLSv1.3', port)];
      return !a.reused && !b.reused && a.worker !== b.worker;
    });
    // A new ticket resumes on both (retried when a rotation falls between the three connections).
    await until('a new ticket to resume on both workers', async () => {
      const fresh = await getOnce(undefined, 'TLSv1.3', port);
      const [a, b] = [await getOnce(fresh.session, 'TLSv1.3', port), await getOnce(fresh.session, 'TLSv1.3', port)];
      return a.reused && b.reused && a.worker !== b.worker;
    });
  } finally {
    await rotating.close();
  }
});

test('a client that stalls mid-handshake does not hold up other clients', async () => {
  // A ClientHello's first bytes (record header, handshake type and a length promising more), then nothing.
  const stalled = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const s = netConnect(tlsPort, '127.0.0.1', () => {
            s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
            resolve(s);
          });
          s.on('error', reject);
        }),
    ),
  );
  try {
    for (let i = 0; i < 6; i++) {
      const a = await getOnce(undefined, 'TLSv1.3');
      assert.equal(a.reused, false);
    }
  } finally {
    for (const s of stalled) s.destroy();
  }
});
