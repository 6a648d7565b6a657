// Signature Version 4 against AWS's published examples: the generic test suite's get-vanilla requests (service
// "service") and the S3 developer guide's worked examples (GET object with a range, PUT object, list objects).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amzDate, authorization, canonicalQuery, EMPTY_SHA256, encodePath, uriEncode } from '../../../src/shared/sigv4.js';

const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const S3_GUIDE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

test('aws-sig-v4-test-suite get-vanilla', () => {
  const auth = authorization(
    {
      method: 'GET',
      path: '/',
      headers: { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 'service',
      amzDate: '20150830T123600Z',
    },
    SUITE,
  );
  assert.equal(
    auth,
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  );
});

test('aws-sig-v4-test-suite get-vanilla-query-order-key-case: parameters signed sorted', () => {
  const auth = authorization(
    {
      method: 'GET',
      path: '/',
      query: { Param2: 'value2', Param1: 'value1' },
      headers: { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 'service',
      amzDate: '20150830T123600Z',
    },
    SUITE,
  );
  assert.match(auth, /Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/);
});

const guideHeaders = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-date': '20130524T000000Z' };

test('S3 guide: GET object with a Range header', () => {
  const auth = authorization(
    {
      method: 'GET',
      path: '/test.txt',
      headers: { ...guideHeaders, range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256 },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
    },
    S3_GUIDE,
  );
  assert.equal(
    auth,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

test('S3 guide: PUT object (a key with $ encoded once)', () => {
  const body = 'Welcome to Amazon S3.';
  const hash = '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072';
  const auth = authorization(
    {
      method: 'PUT',
      path: `/${uriEncode('test$file.text', true)}`,
      headers: {
        ...guideHeaders,
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': hash,
      },
      payloadHash: hash,
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
    },
    S3_GUIDE,
  );
  assert.ok(body.length > 0);
  assert.match(
    auth,
    /SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd$/,
  );
});

test('S3 guide: GET bucket (list objects) with query parameters', () => {
  const auth = authorization(
    {
      method: 'GET',
      path: '/',
      query: { 'max-keys': '2', prefix: 'J' },
      headers: { ...guideHeaders, 'x-amz-content-sha256': EMPTY_SHA256 },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
    },
    S3_GUIDE,
  );
  assert.match(auth, /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
});

test('encoding: keys keep their slashes, everything else outside the unreserved set is escaped once', () => {
  assert.equal(encodePath('bk', 'a b/c+d/é'), '/bk/a%20b/c%2Bd/%C3%A9');
  assert.equal(canonicalQuery({ 'continuation-token': 'a/b=', 'list-type': '2' }), 'continuation-token=a%2Fb%3D&list-type=2');
  assert.equal(amzDate(new Date('2026-01-02T03:04:05.678Z')), '20260102T030405Z');
});
