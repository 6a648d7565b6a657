// What a request's target and Host header name (RFC 9112 §3.2–3.3), decided before anything routes by them: the
// host to route by and the origin-form target to forward, or why the router refuses the request. Pure. The fast
// path (h1-parse.ts) takes only origin-form targets with one valid Host; node:http's side applies the rest
// (target-front.ts).

/** Where a request goes (`host` may be '' for HTTP/1.0 without Host), or the status and sentence it is refused with. */
export type TargetDecision = { host: string; target: string } | { status: 400 | 405; reason: string };

/**
 * uri-host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in brackets or a non-empty reg-name
 * (unreserved, sub-delims, pct-encoded), then an optional port of digits. One regular expression: it runs for every
 * request on the fast path, where it costs less than a loop over the characters.
 */
const HOST = /^(?:(?:[-A-Za-z0-9._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?$/;

/**
 * Whether `value` is a valid Host that names something. Refuses what apps could read as a different host or URL
 * than the router routed by (`a@b`, `a/b`, `a:80@b`, spaces, controls) and the empty Host.
 */
export function validHost(value: string): boolean {
  return HOST.test(value);
}

const ABSOLUTE = /^https?:\/\//i;

/**
 * Decides where a request goes from its method, target and Host header values (`hosts`, each as sent). As nginx
 * does, an absolute-form target's authority replaces the Host header (RFC 9112 §3.2.2) and the target is forwarded
 * in origin form; the Host header must still be there (HTTP/1.1), once and valid (RFC 9112 §3.2).
 */
export function decideTarget(method: string, target: string, hosts: readonly string[], http11: boolean): TargetDecision {
  if (method === 'CONNECT') return { status: 405, reason: 'The router is not a forward proxy: CONNECT is not allowed.' };
  if (hosts.length > 1) return { status: 400, reason: 'The request has more than one Host header.' };
  const host = hosts[0];
  if (host === undefined && http11) return { status: 400, reason: 'An HTTP/1.1 request needs a Host header.' };
  if (host === '') return { status: 400, reason: 'The Host header is empty.' };
  if (host !== undefined && !validHost(host)) return { status: 400, reason: 'The Host header is not a host name or address with an optional port.' };
  if (target.charCodeAt(0) === 47 /* / */) return { host: host ?? '', target };
  if (target === '*') {
    if (method === 'OPTIONS') return { host: host ?? '', target };
    return { status: 400, reason: 'The request target * is only for OPTIONS requests.' };
  }
  if (!ABSOLUTE.test(target)) return { status: 400, reason: 'The request target is neither a path, an http(s) URL nor * (for OPTIONS).' };
  const from = target.indexOf('//') + 2;
  let end = from;
  while (end < target.length && target[end] !== '/' && target[end] !== '?' && target[end] !== '#') end++;
  const authority = target.slice(from, end);
  if (authority.includes('@')) return { status: 400, reason: 'The request target has user information before its host.' };
  if (!validHost(authority)) return { status: 400, reason: 'The request target does not name a valid host.' };
  const rest = target.slice(end);
  const path = rest === '' || rest[0] === '#' ? '/' : rest[0] === '?' ? `/${rest}` : rest;
  return { host: authority, target: path };
}
