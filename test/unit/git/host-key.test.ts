// The SSH host key is encoded by us (ssh2's generator loses a leading zero byte now and then). Every key must
// read back in ssh2 (the server) and in OpenSSH's ssh-keygen, the format's reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519, ensureHostKey } from '../../../src/git/host-key.js';

test('every generated key reads back in ssh2 with its public key, including keys whose bytes start with zero', () => {
  let leadingZero = 0;
  for (let i = 0; i < 3000; i++) {
    const pair = generateEd25519('host');
    const key = ssh2.utils.parseKey(pair.private);
    assert.ok(!(key instanceof Error), `key ${i}: ${key instanceof Error ? key.message : ''}\n${pair.private}`);
    const parsed = Array.isArray(key) ? key[0]! : key;
    const blob = Buffer.from(pair.public.split(' ')[1]!, 'base64');
    assert.deepEqual(parsed.getPublicSSH(), blob);
    if (blob[blob.length - 32] === 0) leadingZero++;
    const sig = parsed.sign(Buffer.from('data'));
    assert.ok(parsed.verify(Buffer.from('data'), sig), 'signs and verifies');
  }
  assert.ok(leadingZero > 0, 'the sample holds keys whose public key starts with a zero byte (the case ssh2 loses)');
});

test('OpenSSH ssh-keygen reads the private key and derives the same public key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-hostkey-'));
  for (let i = 0; i < 5; i++) {
    const pair = generateEd25519('yunbang host key');
    const file = join(dir, `k${i}`);
    writeFileSync(file, pair.private, { mode: 0o600 });
    assert.equal(execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim(), pair.public);
  }
});

test('an unreadable host key file is moved aside and replaced; a good one is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-hostkey-'));
  const file = join(dir, 'ssh_host_ed25519_key');
  const first = await ensureHostKey(dir);
  assert.equal(await ensureHostKey(dir), first, 'kept across starts');
  writeFileSync(file, '-----BEGIN OPENSSH PRIVATE KEY-----\nbroken\n-----END OPENSSH PRIVATE KEY-----\n');
  const replaced = await ensureHostKey(dir);
  assert.ok(!(ssh2.utils.parseKey(replaced) instanceof Error));
  assert.notEqual(replaced, first);
  assert.ok(existsSync(`${file}.unreadable`));
  assert.match(readFileSync(`${file}.unreadable`, 'utf8'), /broken/);
});
