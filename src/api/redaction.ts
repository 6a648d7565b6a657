// What a viewer (read-only role) is shown of secrets: config var names with their values replaced by one
// marker, and URLs (log drains, buildpacks) without their credentials or query values. Pure; no I/O.

/** The value shown in place of every config var value to a caller who may not see values. */
export const HIDDEN_VALUE = '<hidden>';

/** Header set on responses whose secret values were hidden, so that the CLI can say why. */
export const HIDDEN_HEADER = 'x-yb-values-hidden';

/** The same keys, every value replaced by HIDDEN_VALUE (keeps the JSON shape the CLI expects). */
export function maskConfig(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(vars).map((k) => [k, HIDDEN_VALUE]));
}

/**
 * A URL with its user, password, query values and fragment replaced by "***": drain and buildpack URLs carry
 * tokens there. A string that does not parse as a URL is hidden whole, since its secret parts cannot be told.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return HIDDEN_VALUE;
  }
  if (u.username) u.username = '***';
  if (u.password) u.password = '***';
  // A parameter without a value (`?abc123`) may be the token itself: hidden whole.
  const params = [...u.searchParams.entries()];
  if (params.length) u.search = params.map(([k, v]) => (v ? `${encodeURIComponent(k)}=***` : '***')).join('&');
  else if (u.search) u.search = '?***';
  if (u.hash) u.hash = '***';
  return u.toString();
}

/** The secret parts of a URL (user, password, query values, fragment), to scrub from free text such as errors. */
export function urlSecrets(raw: string): string[] {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return [raw];
  }
  const query = [...u.searchParams.entries()].map(([k, v]) => v || k);
  const parts = [u.username, u.password, decodeURIComponent(u.username), decodeURIComponent(u.password), ...query, u.search.slice(1), u.hash.slice(1)];
  return [...new Set(parts.filter((s) => s.length >= 3))];
}

/** `text` with every occurrence of each secret replaced by "***" (longest first, so no fragment survives). */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('***');
  return out;
}
