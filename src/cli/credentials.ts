// Where the CLI finds the API and its token: YB_API_URL / YB_API_TOKEN, else ~/.netrc (as the Heroku CLI does).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_API_URL = 'http://127.0.0.1:5050';

export function netrcPath(): string {
  return process.env.NETRC ?? join(homedir(), '.netrc');
}

interface NetrcEntry {
  machine: string;
  login?: string;
  password?: string;
}

export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const out: NetrcEntry[] = [];
  let cur: NetrcEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'machine') out.push((cur = { machine: tokens[++i] ?? '' }));
    else if (t === 'default') out.push((cur = { machine: '' }));
    else if (cur && t === 'login') cur.login = tokens[++i];
    else if (cur && t === 'password') cur.password = tokens[++i];
  }
  return out;
}

export function apiUrl(): string {
  return (process.env.YB_API_URL ?? DEFAULT_API_URL).replace(/\/$/, '');
}

/** host[:port] used as the netrc machine name for an API URL. */
export function machineOf(url: string): string {
  return new URL(url).host;
}

export function apiToken(url = apiUrl()): string | undefined {
  if (process.env.YB_API_TOKEN) return process.env.YB_API_TOKEN.trim();
  const path = netrcPath();
  if (!existsSync(path)) return undefined;
  const entry = parseNetrc(readFileSync(path, 'utf8')).find((e) => e.machine === machineOf(url));
  return entry?.password;
}

/** Saves the token for `url` in ~/.netrc (mode 0600), replacing an earlier entry for the same machine. */
export function saveToken(url: string, login: string, token: string): void {
  const path = netrcPath();
  const machine = machineOf(url);
  const keep = existsSync(path) ? parseNetrc(readFileSync(path, 'utf8')).filter((e) => e.machine !== machine) : [];
  keep.push({ machine, login, password: token });
  const text = keep.map((e) => `${e.machine ? `machine ${e.machine}` : 'default'}\n  login ${e.login ?? 'yb'}\n  password ${e.password ?? ''}\n`).join('');
  writeFileSync(path, text, { mode: 0o600 });
}

export function removeToken(url: string): boolean {
  const path = netrcPath();
  if (!existsSync(path)) return false;
  const all = parseNetrc(readFileSync(path, 'utf8'));
  const keep = all.filter((e) => e.machine !== machineOf(url));
  writeFileSync(path, keep.map((e) => `machine ${e.machine}\n  login ${e.login ?? 'yb'}\n  password ${e.password ?? ''}\n`).join(''), { mode: 0o600 });
  return keep.length !== all.length;
}
