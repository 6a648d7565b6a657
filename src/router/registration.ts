// The router's lease-backed `routers/<id>` record: which store revision its table reflects, so rollouts can wait
// for it. Owns that one key and its lease; re-creates both when etcd lost the lease (e.g. after an outage).
import type { Etcd3, Lease } from 'etcd3';
import type { RouterRecord } from '../store/keys.js';

export interface RegistrationOptions {
  client: Etcd3;
  key: string;
  id: string;
  addr: string;
  ttlSeconds?: number;
  onError?(err: Error): void;
  retryMaxMs?: number;
}

export class Registration {
  private lease: Lease | undefined;
  private desired = -1;
  private written = -1;
  private running = false;
  private closed = false;
  private failures = 0;
  private waiters: Array<{ rev: number; resolve: () => void }> = [];

  constructor(private readonly opts: RegistrationOptions) {}

  /** Records that the table now reflects `revision` (writes are coalesced; the latest wins). */
  publish(revision: number): void {
    if (revision <= this.desired) return;
    this.desired = revision;
    void this.pump();
  }

  /** Revision of the last record written (-1 before the first). */
  get writtenRevision(): number {
    return this.written;
  }

  /** Resolves once a record with revision ≥ `rev` was written. */
  written$(rev: number): Promise<void> {
    if (this.written >= rev) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ rev, resolve }));
  }

  private newLease(): Lease {
    const lease = this.opts.client.lease(this.opts.ttlSeconds ?? 10);
    lease.on('lost', (err) => {
      if (this.lease !== lease || this.closed) return;
      this.opts.onError?.(new Error('router lease lost; registering again', { cause: err }));
      this.lease = undefined;
      this.written = -1;
      void this.pump();
    });
    return lease;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.desired > this.written) {
        const rev = this.desired;
        const record: RouterRecord = { id: this.opts.id, revision: rev, addr: this.opts.addr, updatedAt: new Date().toISOString() };
        try {
          this.lease ??= this.newLease();
          await this.lease.put(this.opts.key).value(JSON.stringify(record)).exec();
          this.written = rev;
          this.failures = 0;
          this.waiters = this.waiters.filter((w) => (w.rev <= rev ? (w.resolve(), false) : true));
        } catch (err) {
          if (this.closed) break; // revoked by close() while this write was in flight
          this.opts.onError?.(err as Error);
          if (this.lease?.revoked()) this.lease = undefined;
          this.failures++;
          const delay = Math.min(this.opts.retryMaxMs ?? 2000, 50 * 2 ** Math.min(this.failures, 10));
          await new Promise((r) => setTimeout(r, delay).unref());
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Removes the record (revokes the lease) so rollouts stop waiting for this router. */
  async close(): Promise<void> {
    this.closed = true;
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await lease.revoke().catch((err: Error) => this.opts.onError?.(err));
  }
}
