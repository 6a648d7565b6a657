// The SSH host key: an Ed25519 pair from node:crypto, written in OpenSSH's own private-key format
// (PROTOCOL.key, unencrypted). ssh2's generator drops a leading zero byte of the public key, about one key in
// 256, and then cannot read its own output, so the encoding is done here.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Logger } from '../shared/logger.js';

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SSH wire encoding: a uint32 length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** A new Ed25519 pair as an OpenSSH private key file and an authorized_keys-style public line. */
export function generateEd25519(comment: string): { private: string; public: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let section = Buffer.concat([check, check, publicBlob, sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    public: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}`,
  };
}

/**
 * The host key ($dataDir/ssh_host_ed25519_key, 0600), generated on first start. A file that ssh2 cannot read
 * (earlier versions wrote one now and then, and no ybd could start with it, so no client knows it) is moved
 * aside to `.unreadable` and replaced, with a warning.
 */
export async function ensureHostKey(dataDir: string, log?: Logger): Promise<string> {
  const file = join(dataDir, 'ssh_host_ed25519_key');
  if (existsSync(file)) {
    const existing = await readFile(file, 'utf8');
    if (!(ssh2.utils.parseKey(existing) instanceof Error)) return existing;
    await rename(file, `${file}.unreadable`);
    log?.warn({ file, movedTo: `${file}.unreadable` }, 'the SSH host key could not be read; a new one is generated');
  }
  const pair = generateEd25519('yunbang host key');
  await writeFile(file, pair.private, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await writeFile(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 }).catch(() => undefined); // informational copy
  return readFile(file, 'utf8');
}
