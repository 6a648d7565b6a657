// The pre-receive hook program: for a push to main/master it sends the pushed tree (git archive, read from
// the push's quarantine) to the control plane and relays the build output, which git shows as "remote:" lines.
// Exits non-zero, and so rejects the push, when the deploy fails.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { relayStatusLines } from '../shared/status-lines.js';

const ZERO = /^0+$/;
const DEPLOY_REFS = new Set(['refs/heads/main', 'refs/heads/master']);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function deploy(rev: string, ref: string): Promise<boolean> {
  const url = new URL(process.env.YB_HOOK_URL!);
  url.searchParams.set('app', process.env.YB_APP!);
  url.searchParams.set('rev', rev);
  url.searchParams.set('ref', ref);
  const archive = spawn('git', ['archive', '--format=tar', rev], { stdio: ['ignore', 'pipe', 'inherit'] });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-tar', 'x-yb-hook-secret': process.env.YB_HOOK_SECRET!, 'x-yb-user': process.env.YB_USER ?? '' },
    body: Readable.toWeb(archive.stdout) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!res.body) return false;
  const ok = await relayStatusLines(res.body as unknown as AsyncIterable<Uint8Array>, (line) => process.stdout.write(`${line}\n`));
  return ok && res.ok;
}

async function main(): Promise<number> {
  const lines = (await readStdin()).split('\n').filter(Boolean);
  let status = 0;
  for (const line of lines) {
    const [, next, ref] = line.split(' ');
    if (!next || !ref) continue;
    if (!DEPLOY_REFS.has(ref)) {
      process.stdout.write(`Pushed ${ref}; only main or master is deployed.\n`);
      continue;
    }
    if (ZERO.test(next)) {
      process.stdout.write(`! Deleting ${ref} is not allowed: it is the deploy branch.\n`);
      status = 1;
      continue;
    }
    if (!(await deploy(next, ref))) status = 1;
  }
  return status;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stdout.write(`! The deploy could not be started: ${err.message}\n`);
    process.exit(1);
  },
);
