// The OCSP stapler's DER reading (tls-ocsp.ts): responses that are truncated, oversized in their lengths or random
// bytes are refused with an Error, never read out of bounds; requests carry the leaf's serial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOcspResponse, readTlv } from '../../../src/router/tls-ocsp.js';
import { random } from './seeded-random.js';

const serial = Buffer.from('020101', 'hex');

test('lengths that run past their container are refused', () => {
  assert.throws(() => readTlv(Buffer.from('3005020101', 'hex'), 0), /longer than its container/);
  assert.throws(() => readTlv(Buffer.from('3084ffffffff', 'hex'), 0), /longer than its container/);
  assert.throws(() => readTlv(Buffer.from('3085', 'hex'), 0), /bad DER length/);
  assert.throws(() => readTlv(Buffer.from('30', 'hex'), 0), /truncated/);
  assert.deepEqual(readTlv(Buffer.from('3003020101', 'hex'), 0), { tag: 0x30, head: 0, start: 2, end: 5 });
});

test('an unsuccessful or empty response is refused with one sentence', () => {
  assert.throws(() => checkOcspResponse(Buffer.from('30030a0101', 'hex'), serial, Date.now()), /did not answer "successful"/);
  assert.throws(() => checkOcspResponse(Buffer.from('30030a0100', 'hex'), serial, Date.now()), /no response bytes/);
  assert.throws(() => checkOcspResponse(Buffer.alloc(0), serial, Date.now()), /truncated/);
});

test('20,000 random byte strings (half of them starting like a response) only ever throw Errors', () => {
  const rnd = random(21);
  for (let i = 0; i < 20_000; i++) {
    const b = Buffer.alloc(1 + rnd.int(64));
    for (let j = 0; j < b.length; j++) b[j] = rnd.int(256);
    if (i % 2 === 0 && b.length > 4) b.set([0x30, b.length - 2, 0x0a, 0x01, 0x00]);
    try {
      checkOcspResponse(b, serial, Date.now());
      assert.fail('a random string was taken for an OCSP response');
    } catch (err) {
      assert.ok(err instanceof Error);
      assert.notEqual((err as Error).message, 'a random string was taken for an OCSP response');
    }
  }
});
