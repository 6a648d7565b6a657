import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { certCandidates, parseCertRecord } from '../../../src/router/tls-record.js';
import { httpsLocation } from '../../../src/router/tls-redirect.js';

test('certificate candidates: exact name, then a wildcard one label up (never for a bare domain)', () => {
  assert.deepEqual(certCandidates('A.Example.com.'), ['a.example.com', '*.example.com']);
  assert.deepEqual(certCandidates('x.y.example.com'), ['x.y.example.com', '*.y.example.com']);
  assert.deepEqual(certCandidates('example.com'), ['example.com']);
  assert.deepEqual(certCandidates('localhost'), ['localhost']);
});

test('certificate records: malformed values are refused', () => {
  assert.equal(parseCertRecord('not json'), undefined);
  assert.equal(parseCertRecord('{"hostname":"a","cert":"x"}'), undefined, 'no key');
  assert.equal(parseCertRecord('{"hostname":"a","cert":"x","key":{"$sealed":"nope"}}'), undefined);
  assert.equal(parseCertRecord('{"hostname":"a","cert":"x","key":"PEM"}')?.hostname, 'a');
});

test('https redirect location keeps path and query, drops the HTTP port, omits 443', () => {
  const req = (host: string, url: string) => ({ headers: { host }, url }) as unknown as IncomingMessage;
  assert.equal(httpsLocation(req('a.example.com:8080', '/x?y=1'), 8443), 'https://a.example.com:8443/x?y=1');
  assert.equal(httpsLocation(req('a.example.com', '/'), 443), 'https://a.example.com/');
  assert.equal(httpsLocation(req('[::1]:80', '/z'), 443), 'https://[::1]/z');
});
