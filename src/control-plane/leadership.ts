// Several ybd instances on one etcd (YB_HA, docs/architecture.md §9): they elect one leader through an etcd election;
// the leader runs the whole control plane, every other instance is a standby that forwards its API and SSH ports to
// the leader until it leads itself. A leader that loses its lease must stop acting at once (bin/ybd.ts exits).
import { connect, createServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Campaign, Etcd3 } from 'etcd3';
import { formatAddr, type PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';

/** What the leader proclaims: where its API and SSH ports are. */
export interface LeaderInfo {
  id: string;
  api: string;
  ssh: string;
}

export interface Standby {
  /** Resolves when this instance is elected. */
  elected: Promise<void>;
  /** Rejects… never; resolves with the reason once this instance's leadership (or candidacy) is lost. */
  lost: Promise<Error>;
  /** Stops forwarding (frees the API and SSH ports for the control plane this instance now starts). */
  stopForwarding(): Promise<void>;
  /** Gives up leadership (or candidacy) so another instance takes over now rather than after the lease. */
  resign(): Promise<void>;
}

const NO_LEADER =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 2\r\n\r\n' +
  JSON.stringify({ error: { code: 'YB_ERR_NO_LEADER', message: 'no control-plane instance leads right now; retry in a few seconds' } });

/**
 * Forwards every connection on `addr` to the current target, byte for byte (HTTP, git, WebSocket and SSH alike); with
 * no target, `refuse` answers it. The leader sees the connection come from this instance's address.
 */
function forwarder(addr: { host: string; port: number }, target: () => string | undefined, refuse: (s: Socket) => void): Promise<{ close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    const to = target();
    if (!to) return refuse(client);
    const [host, port] = splitAddr(to);
    const upstream = connect({ host, port });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  // Closing ends the open forwards too: they lead to a leader that is gone once this instance takes over.
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of open) s.destroy();
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve({ close }));
  });
}

function splitAddr(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), Number(addr.slice(i + 1))];
}

/** Joins the election of `cfg`'s platform and forwards this instance's ports to the leader until elected. */
export async function startStandby(client: Etcd3, cfg: PlatformConfig, log: Logger): Promise<Standby> {
  const election = client.election(`${cfg.etcdPrefix}leader`, cfg.haLease);
  const me: LeaderInfo = { id: `${hostname()}:${process.pid}`, api: formatAddr(cfg.apiAddr), ssh: formatAddr(cfg.sshAddr) };
  let leader: LeaderInfo | undefined;
  const observer = await election.observe();
  const read = (value: string | undefined) => {
    try {
      leader = value ? (JSON.parse(value) as LeaderInfo) : undefined;
    } catch {
      leader = undefined;
    }
    log.info({ leader: leader?.id ?? null }, leader ? 'the control plane is led by another instance' : 'no instance leads');
  };
  read(observer.leader());
  observer.on('change', read);
  observer.on('error', (err) => log.warn({ err }, 'watching the leader failed'));
  const remote = () => (leader && leader.id !== me.id ? leader : undefined);
  const servers = await Promise.all([
    forwarder(
      cfg.apiAddr,
      () => remote()?.api,
      (s) => s.end(NO_LEADER),
    ),
    forwarder(
      cfg.sshAddr,
      () => remote()?.ssh,
      (s) => s.destroy(),
    ),
  ]);

  const campaign: Campaign = election.campaign(JSON.stringify(me));
  let onLost: (err: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => (onLost = resolve));
  const elected = new Promise<void>((resolve) => campaign.once('elected', () => resolve()));
  campaign.on('error', (err: Error) => onLost(err));
  return {
    elected,
    lost,
    async stopForwarding() {
      await observer.cancel();
      await Promise.all(servers.map((s) => s.close()));
    },
    async resign() {
      await campaign.resign().catch(() => undefined);
    },
  };
}
