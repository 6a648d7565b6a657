// The S3 client (src/shared/s3.ts) against a real S3-compatible server (versitygw, test/helpers/s3-server.ts): a
// streamed PUT and a multipart upload read back byte for byte, listing by prefix across pages, delete, the store's
// refusal of wrong keys as one sentence, and the outbound guard refusing a loopback endpoint unless allowed. Then the
// attacks of a tenant on the off-site copies (src/services/offsite.ts): a link planted in the backup directory, and a
// hostile store of the tenant's own that sends endless answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3Error } from '../../../src/shared/s3.js';
import { startS3Server, type S3Server } from '../../helpers/s3-server.js';
import { BackupFiles } from '../../../src/services/backups.js';
import { OffsiteCopies, type OffsiteStore } from '../../../src/services/offsite.js';

let s3: S3Server;
let dir: string;
const BUCKET = 'yb-client-test';

before(async () => {
  s3 = await startS3Server({ access: 'client-test-key', secret: randomBytes(18).toString('base64') });
  s3.bucket(BUCKET);
  dir = mkdtempSync(join(tmpdir(), 'yb-s3-client-'));
});

after(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = (o: { secret?: string; allowPrivate?: boolean; endpoint?: string } = {}) =>
  new S3Client(
    { endpoint: o.endpoint ?? s3.url, region: 'us-east-1', accessKeyId: s3.access, secretAccessKey: o.secret ?? s3.secret },
    { allowPrivate: o.allowPrivate ?? true, partBytes: 5 * 1024 * 1024 },
  );

async function read(c: S3Client, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await c.getTo(BUCKET, key, async (b) => chunks.push(b));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a small file goes up in one PUT and a 12 MiB one in three parts; both read back byte for byte', async () => {
  const c = client();
  const small = Buffer.from('a small backup\n');
  const big = randomBytes(12 * 1024 * 1024 + 17);
  writeFileSync(join(dir, 'small'), small);
  writeFileSync(join(dir, 'big'), big);
  const t0 = Date.now();
  await c.putFile(BUCKET, 'pre/fix/small.rdb', join(dir, 'small'));
  await c.putFile(BUCKET, 'pre/fix/big.dump', join(dir, 'big'));
  process.stdout.write(`# 12 MiB multipart upload + small PUT to versitygw on loopback: ${Date.now() - t0} ms\n`);
  assert.equal(sha(await read(c, 'pre/fix/small.rdb')), sha(small));
  assert.equal(sha(await read(c, 'pre/fix/big.dump')), sha(big));
  assert.ok(existsSync(join(s3.dataDir, BUCKET, 'pre', 'fix', 'big.dump')), 'the object is a file of the server');
  assert.deepEqual(
    (await c.list(BUCKET, 'pre/fix/')).map((o) => [o.key, o.bytes]),
    [
      ['pre/fix/big.dump', big.length],
      ['pre/fix/small.rdb', small.length],
    ],
  );
  await c.delete(BUCKET, 'pre/fix/big.dump');
  assert.deepEqual(
    (await c.list(BUCKET, 'pre/')).map((o) => o.key),
    ['pre/fix/small.rdb'],
  );
});

test('listing follows continuation tokens past one page (1,000 keys)', async () => {
  const c = client();
  writeFileSync(join(dir, 'one'), 'x');
  // versitygw pages at 1,000 like S3; 1,003 objects need two pages.
  const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => c.putFile(BUCKET, k, join(dir, 'one'))));
  const listed = await c.list(BUCKET, 'many/');
  assert.equal(listed.length, 1003);
  assert.deepEqual(
    listed.map((o) => o.key),
    keys,
  );
});

test('wrong keys: the store refuses in one sentence that names its code and holds no secret', async () => {
  const wrong = 'not-the-secret-' + randomBytes(8).toString('hex');
  const err = (await client({ secret: wrong })
    .list(BUCKET, '')
    .then(
      () => null,
      (e: unknown) => e,
    )) as S3Error;
  assert.ok(err, 'refused');
  assert.equal(err.status, 403);
  assert.equal(err.code, 'SignatureDoesNotMatch');
  assert.match(err.message, /^the S3 store answered 403 SignatureDoesNotMatch/);
  assert.ok(!err.message.includes(wrong) && !err.message.includes(s3.secret));
});

test('the outbound guard: a loopback endpoint, by address or by name, is refused unless loopback is allowed', async () => {
  for (const endpoint of [s3.url, s3.url.replace('127.0.0.1', 'localhost'), s3.url.replace('127.0.0.1', '[::ffff:127.0.0.1]')]) {
    await assert.rejects(client({ allowPrivate: false, endpoint }).list(BUCKET, ''), /loopback address.*YB_OUTBOUND_PRIVATE/, endpoint);
  }
  // Link-local (cloud metadata) is refused even when private networks are allowed.
  await assert.rejects(client({ allowPrivate: true, endpoint: 'http://169.254.169.254' }).list(BUCKET, ''), /link-local/);
});

test('a link planted in the backup directory is never followed: no host file is uploaded', async () => {
  const files = new BackupFiles(join(dir, 'backups'));
  const svcDir = await files.ensureDir('svc');
  symlinkSync('/etc/hostname', join(svcDir, '20260101T000000Z-abcd.rdb'));
  const store: OffsiteStore = { endpoint: s3.url, region: 'us-east-1', accessKeyId: s3.access, secretAccessKey: s3.secret, bucket: BUCKET, prefix: 'links' };
  await assert.rejects(
    new OffsiteCopies(files, true).upload(store, 'svc', '20260101T000000Z-abcd.rdb'),
    /copying 20260101T000000Z-abcd\.rdb to s3:\/\/yb-client-test\/links failed/,
  );
  assert.deepEqual(await client().list(BUCKET, 'links/'), []);
});

test("a hostile store of the tenant's: endless objects and endless lists are cut off, nothing is left behind", async () => {
  const id = '20260101T000000Z-abcd';
  let mode: 'endless-object' | 'endless-list' = 'endless-object';
  const hostile = createServer((req, res) => {
    if (req.url?.includes('list-type=2')) {
      res.writeHead(200, { 'content-type': 'application/xml' });
      if (mode === 'endless-list') {
        const chunk = Buffer.alloc(1 << 20, 'x');
        const pump = () => {
          while (res.write(chunk)) if (res.destroyed) return;
        };
        res.on('drain', pump);
        res.on('error', () => undefined);
        pump();
        return;
      }
      return res.end(`<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/svc/${id}.rdb</Key><Size>10</Size></Contents></ListBucketResult>`);
    }
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    res.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  try {
    const files = new BackupFiles(join(dir, 'hostile'));
    mkdirSync(files.dir('svc'), { recursive: true });
    const store: OffsiteStore = {
      endpoint: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`,
      region: 'us-east-1',
      accessKeyId: 'k',
      secretAccessKey: 's',
      bucket: 'bkt',
      prefix: 'p',
    };
    const copies = new OffsiteCopies(files, true);
    await assert.rejects(copies.fetch(store, 'svc', id), /the store sent more of 20260101T000000Z-abcd\.rdb than the 10 bytes it listed/);
    assert.deepEqual(readdirSync(files.dir('svc')), [], 'no partial or committed file is left');
    mode = 'endless-list';
    await assert.rejects(copies.list(store, 'svc'), /an answer larger than/);
  } finally {
    hostile.closeAllConnections();
    await new Promise((r) => hostile.close(r));
  }
});
