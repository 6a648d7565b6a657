// RFC 5424 syslog messages of log lines, framed by octet counting (RFC 6587) as Heroku's drains send them:
// `<190>1 2026-11-26T00:00:00.000Z hello app web.1 - - listening`. Pure.
import type { LogLine } from '../line.js';

/** local7.info, as Heroku sends app output. */
export const DEFAULT_PRI = 190;

const field = (v: string, max: number) => v.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';

/** One syslog message: HOSTNAME is the app, APP-NAME the source (app, router, yb), PROCID the process. */
export function syslogMessage(app: string, l: LogLine, pri = DEFAULT_PRI): string {
  return `<${pri}>1 ${l.t} ${field(app, 255)} ${field(l.s, 48)} ${field(l.p, 128)} - - ${l.m}`;
}

/** Octet-counting frame: `<byte length> <message>`. */
export function frame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

/**
 * Splits a stream of octet-counted frames into messages; returns the messages and the unconsumed rest
 * (an incomplete frame). Used by tests and by anything that receives drain output.
 */
export function parseFrames(buf: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let i = 0;
  for (;;) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(buf.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len < 0) throw new Error(`bad syslog frame length at byte ${i}`);
    if (sp + 1 + len > buf.length) break;
    messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    i = sp + 1 + len;
  }
  return { messages, rest: buf.subarray(i) };
}

export type DrainKind = 'syslog+tcp' | 'syslog+tls' | 'https';

/** Checks a drain URL; returns its kind, or an error sentence. */
export function parseDrainUrl(raw: string): { kind: DrainKind; url: URL } | { error: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `"${raw.slice(0, 200)}" is not a URL` };
  }
  const kind = url.protocol.slice(0, -1);
  if (kind === 'syslog+tcp' || kind === 'syslog+tls' || kind === 'syslog') {
    if (!url.hostname || !url.port) return { error: 'a syslog drain needs a host and a port, e.g. syslog+tls://logs.example.com:6514' };
    return { kind: kind === 'syslog' ? 'syslog+tcp' : kind, url };
  }
  if (kind === 'https') return { kind, url };
  return { error: `drains must be syslog+tcp://, syslog+tls:// or https:// URLs (got ${url.protocol}//)` };
}
