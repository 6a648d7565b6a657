import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, idFromFingerprint, parsePublicKey } from '../../../src/auth/ssh-keys.js';
import { parseGitCommand } from '../../../src/git/ssh.js';

test('fingerprints match what ssh-keygen -l prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-keys-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', join(dir, 'k')]);
  const line = readFileSync(join(dir, 'k.pub'), 'utf8');
  const k = parsePublicKey(line);
  assert.equal(k.type, 'ssh-ed25519');
  assert.equal(k.comment, 'me@laptop');
  const { fingerprint, id } = fingerprintOf(k.blob);
  const printed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')])
    .toString()
    .split(' ')[1];
  assert.equal(fingerprint, printed);
  assert.equal(idFromFingerprint(fingerprint), id);
});

test('private keys and garbage are refused with clear messages', () => {
  assert.throws(() => parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nabc'), /private key/);
  assert.throws(() => parsePublicKey('hello'), /not an OpenSSH public key/);
  assert.throws(() => parsePublicKey('ssh-ed25519 AAAA'), /not a valid ssh-ed25519 public key/);
  assert.equal(idFromFingerprint('SHA256:short'), null);
});

test('only git-receive-pack / git-upload-pack of one app path are accepted', () => {
  assert.deepEqual(parseGitCommand("git-receive-pack '/hello.git'"), { service: 'git-receive-pack', app: 'hello' });
  assert.deepEqual(parseGitCommand("git-upload-pack 'hello.git'"), { service: 'git-upload-pack', app: 'hello' });
  for (const bad of [
    "git-receive-pack '/../etc.git'",
    "git-upload-pack '/a.git'; rm -rf /",
    'bash',
    "git-upload-archive '/a.git'",
    "git-receive-pack '/Hello.git'",
    "git-receive-pack '/a/b.git'",
  ]) {
    assert.equal(parseGitCommand(bad), null, bad);
  }
});
