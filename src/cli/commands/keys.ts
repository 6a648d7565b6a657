// keys, keys:add, keys:remove (SSH public keys for git over SSH); admin:rotate-key.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { request, get, CliError } from '../client.js';
import { enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface Key {
  fingerprint: string;
  type: string;
  comment: string;
  createdAt: string;
}

const DEFAULT_KEYS = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'];

function defaultKeyFile(): string {
  const found = DEFAULT_KEYS.map((f) => join(homedir(), '.ssh', f)).find((f) => existsSync(f));
  if (!found) throw new CliError('no public key found in ~/.ssh', 2, 'make one with "ssh-keygen -t ed25519", or pass the .pub file: yb keys:add FILE');
  return found;
}

export function registerKeys(program: Command): void {
  program
    .command('keys')
    .description('list your SSH keys')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const keys = await get<Key[]>('/keys');
      if (opts.json) return printJson(keys);
      if (keys.length === 0) return print('You have no SSH keys. Add one with: yb keys:add');
      table(
        ['FINGERPRINT', 'TYPE', 'COMMENT'],
        keys.map((k) => [k.fingerprint, k.type, k.comment]),
      );
    });

  program
    .command('keys:add')
    .argument('[file]', 'public key file (default: ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub)')
    .description('add an SSH public key for git push over SSH')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb keys:add ~/.ssh/id_ed25519.pub\n  git push ssh://git@127.0.0.1:2222/hello.git main')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      const path = file ?? defaultKeyFile();
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 2, undefined, { cause: err });
      }
      if (/PRIVATE KEY/.test(text)) throw new CliError(`${path} is a private key`, 2, `give the public key: ${path}.pub`);
      const { data } = await request<Key>('POST', '/keys', { body: { publicKey: text.trim().split('\n')[0] } });
      if (opts.json) return printJson(data);
      print(`Added key ${data.fingerprint}${data.comment ? ` (${data.comment})` : ''}`);
    });

  program
    .command('keys:remove')
    .argument('<key>', 'fingerprint (SHA256:…) or comment of the key')
    .description('remove one of your SSH keys')
    .action(async (key: string) => {
      const { data } = await request<Key>('DELETE', `/keys/${enc(key)}`);
      print(`Removed key ${data.fingerprint}`);
    });

  program
    .command('admin:rotate-key')
    .description('re-encrypt config at rest with a new secret key (platform administrators)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { data } = await request<{ kid: string; resealed: number }>('POST', '/admin/rotate-key');
      if (opts.json) return printJson(data);
      print(`Secret key rotated: now ${data.kid}; ${data.resealed} values re-encrypted`);
    });
}
