// The connection to one Docker engine (dockerode), shared by the Docker backend's runtime and image store: where it
// is, one clear error when it is not there, and the engine's multiplexed stream format.
import Docker from 'dockerode';
import { RuntimeUnavailableError } from '../runtime.js';

function isConnError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET';
}

/** The engine's HTTP status of a failed call (404 absent, 304 already so, 409 conflict), if it answered. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

export class DockerEngine {
  readonly docker: Docker;
  readonly where: string;

  /** `dockerHost`: unix:///path or tcp://host:port; empty: the local socket. */
  constructor(dockerHost = '') {
    if (dockerHost) {
      const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
      this.docker = dockerHost.startsWith('unix://') ? new Docker({ socketPath: dockerHost.slice(7) }) : new Docker({ host: u.hostname, port: Number(u.port) });
      this.where = dockerHost;
    } else {
      this.docker = new Docker({ socketPath: '/var/run/docker.sock' });
      this.where = '/var/run/docker.sock';
    }
  }

  /** Whether the engine is reached through a socket on this host (its cgroups and /proc are ours to read). */
  get local(): boolean {
    return !this.where.includes('://') || this.where.startsWith('unix://');
  }

  /** Runs a Docker call, turning "no engine there" into one clear RuntimeUnavailableError. */
  async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (isConnError(err))
        throw new RuntimeUnavailableError(`the Docker engine is not reachable at ${this.where}; start it (npm start does, or run "dockerd &")`, { cause: err });
      throw err;
    }
  }

  /** Like `call`, resolving to `fallback` when the engine answers with one of `statuses` (e.g. 404 gone, 304 already so). */
  async tolerate<T>(op: () => Promise<T>, statuses: number[], fallback: T): Promise<T> {
    try {
      return await this.call(op);
    } catch (err) {
      if (statuses.includes(statusOf(err) ?? -1)) return fallback;
      throw err;
    }
  }
}

/** The text of a multiplexed Docker stream (8-byte frame headers: stream, 0, 0, 0, length), split by stream; a cut last frame is kept as far as it goes. */
export function demux(buf: Buffer): { stdout: string; stderr: string; both: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const both: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    const part = buf.subarray(i + 8, i + 8 + len);
    (buf[i] === 2 ? err : out).push(part);
    both.push(part);
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), both: Buffer.concat(both).toString('utf8') };
}
