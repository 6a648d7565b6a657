// The console's only way to the platform: the public REST API, same origin, with the session cookie and the
// session's CSRF token on every call that changes something. Paths are checked against the generated
// schema.d.ts, so a route the API no longer has fails the console's type check.
import type { paths } from './schema';

export type ApiPath = keyof paths;

/** An API error as the API words it: `{id, message, hint?}` plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
/** Set after sign-in (and on load from GET /session); sent as X-CSRF-Token. */
export function setCsrf(token: string): void {
  csrfToken = token;
}

/** Fills `{app}`-style parameters of a path template, each value URL-encoded. */
export function fill(path: ApiPath, params: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z]+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
}

export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const j = JSON.parse(text) as { id?: string; message?: string; hint?: string };
    return new ApiError(res.status, j.id ?? 'error', j.message ?? `the API answered ${res.status}`, j.hint);
  } catch {
    return new ApiError(res.status, 'error', `the API answered ${res.status} ${res.statusText}`.trim());
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

export function url(path: ApiPath, o: CallOptions = {}): string {
  const q = Object.entries(o.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return fill(path, o.params) + (q.length ? `?${new URLSearchParams(q)}` : '');
}

function init(o: CallOptions): RequestInit {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  return { method, headers, credentials: 'same-origin', body: o.body === undefined ? undefined : JSON.stringify(o.body), signal: o.signal };
}

/** One JSON call; throws ApiError with the API's sentence on any non-2xx answer. */
export async function call<T>(path: ApiPath, o: CallOptions = {}): Promise<T> {
  const res = await fetch(url(path, o), init(o));
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** A streaming GET: calls `onText` with each decoded chunk until the stream ends or `signal` aborts. */
export async function stream(path: ApiPath, o: CallOptions, onText: (text: string) => void): Promise<void> {
  const res = await fetch(url(path, o), init(o));
  if (!res.ok || !res.body) throw await errorOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(value);
  }
}

/** A POST of a file (a source tarball) whose text answer streams: `onText` gets each decoded chunk until the end. */
export async function upload(path: ApiPath, o: CallOptions, body: Blob, contentType: string, onText: (text: string) => void): Promise<void> {
  const headers = { 'content-type': contentType, 'x-csrf-token': csrfToken };
  const res = await fetch(url(path, o), { method: 'POST', headers, credentials: 'same-origin', body, signal: o.signal });
  if (!res.ok || !res.body) throw await errorOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(value);
  }
}
