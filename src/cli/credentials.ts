// Where the CLI finds the API and its token: YB_API_URL / YB_API_TOKEN, else ~/.netrc (as the Heroku CLI does).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseNetrc, removeNetrcEntry, setNetrcEntry } from './netrc.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:5050';

export function netrcPath(): string {
  return process.env.NETRC ?? join(homedir(), '.netrc');
}

export { parseNetrc };

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

/** Writes back an edited ~/.netrc, keeping the mode of an existing file and creating a new one 0600. */
function writeNetrc(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

/** Saves the token for `url` in ~/.netrc, changing only that machine's entry (or adding one before `default`). */
export function saveToken(url: string, login: string, token: string): void {
  const path = netrcPath();
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  writeNetrc(path, setNetrcEntry(text, machineOf(url), login, token));
}

/** Removes the entry of `url`'s machine and nothing else; false when there was none. */
export function removeToken(url: string): boolean {
  const path = netrcPath();
  if (!existsSync(path)) return false;
  const next = removeNetrcEntry(readFileSync(path, 'utf8'), machineOf(url));
  if (next === null) return false;
  writeNetrc(path, next);
  return true;
}
