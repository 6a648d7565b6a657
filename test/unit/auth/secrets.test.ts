import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, isSealed, loadSecretBox, secretKeyFile } from '../../../src/auth/secrets.js';

test('seal then open gives the value back; the envelope holds no plaintext', () => {
  const box = new SecretBox([randomBytes(32)]);
  const sealed = box.seal({ DATABASE_URL: 'postgres://u:hunter2@db/x' }, 'config:app');
  assert.ok(isSealed(sealed));
  assert.ok(!JSON.stringify(sealed).includes('hunter2'));
  assert.deepEqual(box.open(sealed, 'config:app'), { DATABASE_URL: 'postgres://u:hunter2@db/x' });
});

test("a value sealed for one app does not open as another app's (associated data)", () => {
  const box = new SecretBox([randomBytes(32)]);
  const sealed = box.seal({ A: '1' }, 'config:one');
  assert.throws(() => box.open(sealed, 'config:two'), /could not be decrypted/);
});

test('tampered ciphertext is refused without echoing it', () => {
  const box = new SecretBox([randomBytes(32)]);
  const sealed = box.seal({ A: 'secret-value' }, 'c');
  const bad = { ...sealed, data: Buffer.from('x' + Buffer.from(sealed.data, 'base64').toString('latin1'), 'latin1').toString('base64') };
  assert.throws(
    () => box.open(bad, 'c'),
    (err: Error) => !err.message.includes('secret-value'),
  );
});

test('a rotated box opens old values, seals with the new key, and drops old keys on request', () => {
  const old = new SecretBox([randomBytes(32)]);
  const sealedOld = old.seal({ A: '1' }, 'c');
  const next = old.withNewKey(randomBytes(32));
  assert.notEqual(next.kid, old.kid);
  assert.deepEqual(next.open(sealedOld, 'c'), { A: '1' });
  assert.equal(next.seal({}, 'c').kid, next.kid);
  assert.throws(() => next.currentOnly().open(sealedOld, 'c'), /not in secret.key/);
  assert.equal(next.keyFileText().trim().split('\n').length, 2);
});

test('loadSecretBox creates secret.key with mode 0600 once and reuses it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-secrets-'));
  const a = await loadSecretBox(dir);
  const text = readFileSync(secretKeyFile(dir), 'utf8');
  assert.equal(statSync(secretKeyFile(dir)).mode & 0o777, 0o600);
  const b = await loadSecretBox(dir);
  assert.equal(a.kid, b.kid);
  assert.equal(readFileSync(secretKeyFile(dir), 'utf8'), text);
});
