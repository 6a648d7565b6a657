import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressProblem, literalRefusal } from '../../../src/shared/outbound-guard.js';

test('public addresses may be fetched from', () => {
  for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])
    assert.equal(addressProblem(a, false), undefined, a);
});

test('loopback and private networks only with allowPrivate', () => {
  for (const a of [
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    'fd00::1',
    'fc12::1',
    '::ffff:127.0.0.1',
  ]) {
    assert.match(addressProblem(a, false) ?? '', /loopback|private/, a);
    assert.equal(addressProblem(a, true), undefined, a);
  }
});

test('link-local (cloud metadata) and non-unicast addresses never', () => {
  for (const a of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::', 'ff02::1']) {
    assert.ok(addressProblem(a, true), a);
    assert.ok(addressProblem(a, false), a);
  }
});

test('address literals are judged without a lookup; names are left to it', () => {
  assert.match(literalRefusal('127.0.0.1', false)?.message ?? '', /127\.0\.0\.1 is a loopback address.*YB_OUTBOUND_PRIVATE=true/);
  assert.match(literalRefusal('[::1]', false)?.message ?? '', /::1 is a loopback address/);
  assert.equal(literalRefusal('127.0.0.1', true), undefined);
  assert.match(literalRefusal('169.254.169.254', true)?.message ?? '', /link-local/);
  assert.equal(literalRefusal('logs.example.com', false), undefined);
});
