// One log drain: a bounded queue of an app's lines and a sender that delivers them to a syslog (TCP/TLS)
// or HTTPS endpoint, reconnecting with backoff. When the endpoint is down the queue keeps the newest lines
// and counts what it dropped; once delivery resumes, a line says how many were lost.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { RingBuffer } from '../ring-buffer.js';
import type { LogLine } from '../line.js';
import { frame, syslogMessage, type DrainKind } from './syslog-frame.js';
import { guardedLookup, literalRefusal } from '../../shared/outbound-guard.js';

export interface DrainRecord {
  id: string;
  app: string;
  url: string;
  token: string;
  createdAt: string;
}

export interface DrainStatus {
  connected: boolean;
  queued: number;
  dropped: number;
  delivered: number;
  lastError?: string;
}

const BATCH = 500;

export class Drain {
  private readonly queue: RingBuffer<LogLine>;
  private socket: Socket | undefined;
  private connected = false;
  private sending = false;
  private backoffMs = 500;
  private retryTimer: NodeJS.Timeout | undefined;
  private reportedDropped = 0;
  private closed = false;
  delivered = 0;
  lastError: string | undefined;

  constructor(
    readonly record: DrainRecord,
    readonly kind: DrainKind,
    private readonly url: URL,
    bufferLines: number,
    private readonly allowPrivate = false,
  ) {
    this.queue = new RingBuffer<LogLine>(Math.max(1, bufferLines));
  }

  status(): DrainStatus {
    return {
      connected: this.connected,
      queued: this.queue.length,
      dropped: this.queue.dropped,
      delivered: this.delivered,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  push(lines: LogLine[]): void {
    if (this.closed) return;
    for (const l of lines) this.queue.push(l);
    this.pump();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.destroy();
  }

  /** A line about lines lost to a full buffer, once per loss (Heroku's L10). */
  private lossNotice(): LogLine[] {
    const lost = this.queue.dropped - this.reportedDropped;
    if (lost <= 0) return [];
    this.reportedDropped = this.queue.dropped;
    return [
      {
        t: new Date().toISOString(),
        s: 'yb',
        p: 'drain',
        m: `Error L10 (drain buffer overflow): ${lost} lines were dropped while ${this.url.host} was unreachable`,
      },
    ];
  }

  private pump(): void {
    if (this.closed || this.sending || this.retryTimer || this.queue.length === 0) return;
    if (this.kind === 'https') void this.sendHttps();
    else this.sendSyslog();
  }

  private retry(err: unknown): void {
    this.connected = false;
    this.lastError = (err as Error)?.message ?? String(err);
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  private sendSyslog(): void {
    if (!this.socket) {
      const port = Number(this.url.port);
      // An IPv6 literal keeps its brackets in a URL's hostname; net.connect wants the bare address.
      const host = this.url.hostname.replace(/^\[|\]$/g, '');
      // Every address is checked (outbound-guard.ts): a drain must not become a way into the platform's own services.
      const refused = literalRefusal(host, this.allowPrivate);
      if (refused) return this.retry(refused);
      const lookup = guardedLookup(this.allowPrivate);
      const s = this.kind === 'syslog+tls' ? tlsConnect({ host, port, servername: host, lookup }) : netConnect({ host, port, lookup });
      this.socket = s;
      s.setKeepAlive(true, 30_000);
      s.once(this.kind === 'syslog+tls' ? 'secureConnect' : 'connect', () => {
        this.connected = true;
        this.backoffMs = 500;
        this.lastError = undefined;
        this.pump();
      });
      s.on('drain', () => this.pump());
      s.on('error', (err) => (this.lastError = err.message));
      s.on('close', () => {
        this.socket = undefined;
        this.sending = false;
        this.retry(new Error(this.lastError ?? 'connection closed'));
      });
      s.on('data', () => undefined); // syslog receivers do not answer; ignore anything they send
      return;
    }
    if (!this.connected) return;
    let ok = true;
    while (ok && this.queue.length > 0) {
      const lines = [...this.lossNotice()];
      while (lines.length < BATCH && this.queue.length > 0) lines.push(this.queue.shift()!);
      ok = this.socket.write(lines.map((l) => frame(syslogMessage(this.record.app, l))).join(''));
      this.delivered += lines.length;
    }
  }

  private async sendHttps(): Promise<void> {
    this.sending = true;
    const lines: LogLine[] = [];
    while (lines.length < BATCH && this.queue.length > 0) lines.push(this.queue.shift()!);
    const notice = this.lossNotice();
    const all = [...notice, ...lines];
    const body = all.map((l) => frame(syslogMessage(this.record.app, l))).join('');
    try {
      const refused = literalRefusal(this.url.hostname, this.allowPrivate);
      if (refused) throw refused;
      await postLogplex(this.url, body, all.length, this.record.token, this.allowPrivate);
      this.connected = true;
      this.backoffMs = 500;
      this.lastError = undefined;
      this.delivered += all.length;
      this.sending = false;
      this.pump();
    } catch (err) {
      this.sending = false;
      this.queue.unshiftAll(lines);
      this.retry(err);
    }
  }
}

/** POSTs frames the way Heroku's HTTPS drains do (application/logplex-1); rejects unless the answer is 2xx. */
function postLogplex(url: URL, body: string, count: number, token: string, allowPrivate: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/logplex-1',
          'content-length': Buffer.byteLength(body),
          'logplex-msg-count': String(count),
          'logplex-drain-token': token,
          'user-agent': 'yunbang-drain',
          ...(url.username
            ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` }
            : {}),
        },
        timeout: 10_000,
        lookup: guardedLookup(allowPrivate),
      },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
