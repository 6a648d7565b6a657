// Off-site targets and endpoints as tenants give them (src/services/offsite.ts): what is accepted, what is refused
// before anything reaches a store, and where a backup's copy is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEndpoint, objectKey, parseTarget, targetUrl } from '../../../src/services/offsite.js';
import { idTime } from '../../../src/services/backup-schedule.js';
import { parseList } from '../../../src/shared/s3.js';

test('targets: s3://bucket/prefix with S3 bucket rules and a plain prefix', () => {
  assert.deepEqual(parseTarget('s3://yb-backups/prod/eu'), { bucket: 'yb-backups', prefix: 'prod/eu' });
  assert.deepEqual(parseTarget('s3://yb-backups'), { bucket: 'yb-backups', prefix: '' });
  assert.deepEqual(parseTarget('s3://yb.backups/x/'), { bucket: 'yb.backups', prefix: 'x' });
  assert.equal(targetUrl(parseTarget('s3://abc/d_e.f-g')), 's3://abc/d_e.f-g');
});

test('hostile targets are refused in one sentence', () => {
  const hostile = [
    's3://../x',
    's3://bkt/../../etc',
    's3://bkt/a/../b',
    's3://bkt/./a',
    's3://bkt/a//b',
    's3://bkt//a',
    `s3://bkt/${'a'.repeat(201)}`,
    `s3://${'b'.repeat(64)}/x`,
    's3://BKT/x',
    's3://ab/x',
    's3://a..b/x',
    's3://192.168.1.1/x',
    's3://bkt/a b',
    's3://bkt/a%2F..',
    's3://bkt/a\n',
    'http://bkt/x',
    's3:/bkt',
    '',
  ];
  for (const t of hostile) assert.throws(() => parseTarget(t), /is not an off-site target: [^\n]+$/, JSON.stringify(t));
});

test('endpoints: http(s) only, without credentials, query or fragment in the URL', () => {
  assert.equal(checkEndpoint('https://s3.example.com/'), 'https://s3.example.com');
  assert.equal(checkEndpoint('http://10.0.0.5:9000'), 'http://10.0.0.5:9000');
  for (const bad of [
    'ftp://s3.example.com',
    'https://k:s@s3.example.com',
    'https://s3.example.com/?x=1',
    'https://s3.example.com/#f',
    'not a url',
    'file:///etc/passwd',
  ])
    assert.throws(() => checkEndpoint(bad), /endpoint|not a URL/, bad);
});

test('object keys: <prefix>/<service>/<file>, and no prefix when there is none', () => {
  assert.equal(objectKey({ bucket: 'b', prefix: 'p/q' }, 'pg-main', '20260102T030405Z-1a2b.dump'), 'p/q/pg-main/20260102T030405Z-1a2b.dump');
  assert.equal(objectKey({ bucket: 'b', prefix: '' }, 'pg-main', 'x'), 'pg-main/x');
  assert.equal(idTime('20260102T030405Z-1a2b'), '2026-01-02T03:04:05.000Z');
});

test('ListObjectsV2 answers: keys decoded, sizes, continuation only when truncated', () => {
  const xml =
    '<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b/1</Key><Size>5</Size></Contents>' +
    '<Contents><Key>a&amp;b/2</Key><Size>0</Size></Contents><NextContinuationToken>tok/=</NextContinuationToken></ListBucketResult>';
  assert.deepEqual(parseList(xml), {
    objects: [
      { key: 'a&b/1', bytes: 5 },
      { key: 'a&b/2', bytes: 0 },
    ],
    next: 'tok/=',
  });
  assert.equal(
    parseList('<ListBucketResult><IsTruncated>false</IsTruncated><NextContinuationToken>x</NextContinuationToken></ListBucketResult>').next,
    undefined,
  );
});
