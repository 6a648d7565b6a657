// TLS session ticket keys shared by all of a router's proxy processes (docs/architecture.md §2, the router's HTTPS
// listener): the primary makes one key and hands it to every worker, so a ticket issued by one worker resumes on
// another, and replaces it every `rotateMs`. Each proxy process seals tickets with the current key, opens them with
// the current or the previous one, and renews the ticket on every resumption (SessionTickets). Key material stays in
// memory and on the IPC channel; never logged.
import { randomBytes, randomFillSync } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';

/** What `tls.Server#setTicketKeys` takes: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
export const TICKET_KEY_BYTES = 48;
/** nginx's advice for shared ticket keys; tickets live `sessionTimeout` (300 s) anyway. */
export const TICKET_ROTATE_MS = 12 * 60 * 60 * 1000;

export class TicketKeys {
  private key = randomBytes(TICKET_KEY_BYTES);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onRotate: (key: Buffer) => void,
    private readonly rotateMs = TICKET_ROTATE_MS,
  ) {}

  get current(): Buffer {
    return this.key;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.key = randomBytes(TICKET_KEY_BYTES);
      this.onRotate(this.key);
    }, this.rotateMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** One 48-byte key split as OpenSSL's ticket callback uses it: a name that is written into each ticket, the keys. */
interface TicketKey {
  name: Buffer;
  hmac: Buffer;
  aes: Buffer;
}

function splitKey(key: Buffer): TicketKey {
  return { name: key.subarray(0, 16), hmac: key.subarray(16, 32), aes: key.subarray(32, 48) };
}

/** What node:tls's ticket key callback (`onticketkeycallback`) returns: OpenSSL's result, then HMAC and AES keys, then the name and IV of a new ticket. */
type TicketAnswer = [number, Buffer, Buffer] | [number, Buffer, Buffer, Buffer, Buffer];

/** The native secure context of a node:tls server (`server._sharedCreds.context`), as far as it is used here. */
interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => TicketAnswer;
}

/**
 * The session tickets of one proxy process's HTTPS listener. node:tls opens a ticket under its one key and never asks
 * for a new one, so a TLS 1.3 client, which uses each ticket once (RFC 8446 §C.4), resumes one connection in two at
 * best (measured with wrk: half of the handshakes full, each an ECDSA signature and a certificate more). Here, as
 * nginx does, a resumption is answered with a fresh ticket, and a ticket sealed under the previous key (before a
 * rotation) still resumes. This uses node's ticket key callback (`enableTicketKeyCallback`, `onticketkeycallback`:
 * internal, kept for node's own test of renewed tickets, unchanged since Node 0.12); without it the key goes to
 * `setTicketKeys` (one key, no renewal), as before.
 */
export class SessionTickets {
  private current = splitKey(randomBytes(TICKET_KEY_BYTES));
  private previous: TicketKey | undefined;
  private server: TlsServer | undefined;
  /** Random bytes the tickets' IVs are cut from (node copies each at once), refilled when used up. */
  private readonly ivs = Buffer.alloc(4096);
  private ivAt = this.ivs.length;

  /** Takes over `server`'s tickets (before it accepts connections); false when node:tls lacks the callback. */
  install(server: TlsServer): boolean {
    const context = (server as unknown as { _sharedCreds?: { context?: NativeContext } })._sharedCreds?.context;
    if (typeof context?.enableTicketKeyCallback !== 'function') {
      this.server = server;
      server.setTicketKeys(this.key());
      return false;
    }
    context.onticketkeycallback = this.callback;
    context.enableTicketKeyCallback();
    return true;
  }

  /** A new key from the primary: tickets are sealed with it from now on; the one it replaces still opens them. */
  setKey(key: Buffer): void {
    const next = splitKey(Buffer.from(key));
    if (next.name.equals(this.current.name)) return;
    this.previous = this.current;
    this.current = next;
    this.server?.setTicketKeys(key);
  }

  private key(): Buffer {
    return Buffer.concat([this.current.name, this.current.hmac, this.current.aes]);
  }

  /**
   * OpenSSL's answer for one ticket: sealing (`encrypt`) uses the current key and a fresh IV; opening finds the key
   * by the ticket's name and asks for a new ticket (2); an unknown name (another router's, or older than the previous
   * key) gets 0, a full handshake.
   */
  private readonly callback = (name: Buffer, _iv: Buffer, encrypt: boolean): TicketAnswer => {
    const cur = this.current;
    if (encrypt) {
      if (this.ivAt === this.ivs.length) randomFillSync(this.ivs), (this.ivAt = 0);
      return [1, cur.hmac, cur.aes, cur.name, this.ivs.subarray(this.ivAt, (this.ivAt += 16))];
    }
    const key = name.equals(cur.name) ? cur : this.previous && name.equals(this.previous.name) ? this.previous : undefined;
    return key ? [2, key.hmac, key.aes] : [0, cur.hmac, cur.aes];
  };
}
