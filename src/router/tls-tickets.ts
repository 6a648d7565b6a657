// TLS session ticket keys shared by all of a router's proxy processes (docs/architecture.md §2, the router's HTTPS
// listener): the primary makes one key and hands it to every worker, so a ticket issued by one worker resumes on
// another, and replaces it every `rotateMs`. Key material stays in memory and on the IPC channel; never logged.
import { randomBytes } from 'node:crypto';

/** What `tls.Server#setTicketKeys` takes: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
export const TICKET_KEY_BYTES = 48;
/** nginx's advice for shared ticket keys; tickets live `sessionTimeout` (300 s) anyway. */
export const TICKET_ROTATE_MS = 12 * 60 * 60 * 1000;

export class TicketKeys {
  private key = randomBytes(TICKET_KEY_BYTES);
  private timer: NodeJS.Timeout | undefined;

  /**
   * Node's TLS server holds one ticket key (no callback to keep the previous one for decryption), so a ticket
   * made just before a rotation gets a full handshake and a new ticket: at most one ticket lifetime every 12 h.
   */
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
