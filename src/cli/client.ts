// The CLI's HTTP client of the REST API: bearer token, JSON, and API errors turned into CliError with the
// registry's exit code. Talks to nothing but the API.
import { apiToken, apiUrl } from './credentials.js';
import { ERRORS, codeFromId } from '../shared/errors.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export interface RequestOptions {
  body?: unknown;
  token?: string | null;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<{ data: T; headers: Headers }> {
  const base = apiUrl();
  const token = opts.token === undefined ? apiToken(base) : opts.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch (err) {
    throw new CliError(
      `the Yunbang API is not reachable at ${base}`,
      ERRORS.YB_ERR_API_UNREACHABLE.exit,
      'start the platform with "npm start", or set YB_API_URL',
      { cause: err },
    );
  }
  const text = await res.text();
  let data: unknown = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text; // a non-JSON body (plain text endpoints)
  }
  if (!res.ok) throw apiError(res, data);
  return { data: data as T, headers: res.headers };
}

/** The CliError of an API error answer (`{id, message, hint}` parsed from its body, or the body as text). */
export function apiError(res: Response, data: unknown): CliError {
  const e = data as { id?: string; message?: string; hint?: string };
  const code = e?.id ? codeFromId(e.id) : undefined;
  const exit = code ? ERRORS[code].exit : res.status >= 500 ? 1 : 2;
  let hint = e?.hint;
  if (res.status === 401) hint ??= 'run "yb login", or set YB_API_TOKEN';
  if (res.status === 429) hint ??= retryHint(res.headers.get('retry-after'));
  return new CliError(e?.message ?? `HTTP ${res.status}`, exit, hint);
}

/** "try again after 14:05:09 (in 900 s)" from a Retry-After header (seconds or an HTTP date). */
export function retryHint(header: string | null, now = new Date()): string | undefined {
  if (!header) return undefined;
  const at = /^\d+$/.test(header.trim()) ? new Date(now.getTime() + Number(header) * 1000) : new Date(header);
  if (Number.isNaN(at.getTime())) return undefined;
  const seconds = Math.max(0, Math.ceil((at.getTime() - now.getTime()) / 1000));
  return `try again after ${at.toTimeString().slice(0, 8)} (in ${seconds} s)`;
}

export async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', path)).data;
}
