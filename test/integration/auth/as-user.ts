// Helpers for the auth tests: run the real CLI as a given user, git over SSH with a throw-away key, raw etcd reads.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { ROOT, type Platform } from '../../helpers/platform.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `yb` with another token (and optional stdin); never throws on a non-zero exit. */
export function ybAs(p: Platform, token: string | null, args: string[], opts: { input?: string; home?: string; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...p.env, HOME: opts.home ?? p.env.HOME };
    if (token) env.YB_API_TOKEN = token;
    else delete env.YB_API_TOKEN;
    const c = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), ...args], { env, cwd: opts.cwd ?? p.dataDir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    c.stdin.end(opts.input ?? '');
  });
}

/** `yb args` as the holder of `token` (`who` in the failure message), which must exit 0. */
export async function ybOk(p: Platform, token: string, who: string, args: string[]): Promise<Run> {
  const r = await ybAs(p, token, args);
  assert.equal(r.code, 0, `yb ${args.join(' ')} as ${who}: ${r.stdout}${r.stderr}`);
  return r;
}

/** Creates each user (with the platform's admin token) and then, as that user, the team named beside it; returns the users' tokens. */
export async function usersWithTeams(p: Platform, teams: Record<string, string>): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const user of Object.keys(teams)) tokens[user] = (await ybOk(p, p.token, 'the admin', ['users:create', user])).stdout.trim();
  for (const [user, team] of Object.entries(teams)) await ybOk(p, tokens[user]!, user, ['teams:create', team]);
  return tokens;
}

/** Makes an ed25519 key pair in `dir`; returns the private key path (public key at `${path}.pub`). */
export function makeKey(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', path]);
  return path;
}

export function sshEnv(key: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_SSH_COMMAND: `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`,
  };
}

export function sshUrl(p: Platform, app: string): string {
  return `ssh://git@${p.env.YB_SSH_ADDR}/${app}.git`;
}

export function httpUrl(p: Platform, token: string, app: string): string {
  return `http://yb:${token}@${new URL(p.apiUrl).host}/git/${app}.git`;
}

/** Every raw value under the platform's etcd prefix whose key starts with `prefix` (after /yunbang/). */
export async function rawEtcd(p: Platform, prefix: string): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    return await client.getAll().prefix(`/yunbang/${prefix}`).strings();
  } finally {
    client.close();
  }
}
