// Git smart HTTP (push and fetch) for /git/<app>.git, spawning git's own receive-pack/upload-pack with
// --stateless-rpc. Every request is authenticated (basic auth, password = API token) and authorised per app.
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { User } from '../auth/tokens.js';
import type { Action } from '../auth/access.js';
import { ensureRepo } from './repos.js';

export interface GitHttpDeps {
  dataDir: string;
  hookUrl: string;
  hookSecret: string;
  /** Resolves the user of an API token, or null. */
  authenticate(token: string): Promise<User | null>;
  /** Resolves whether the user may do `action` on the app; false also when the app does not exist. */
  authorize(user: User, app: string, action: Action): Promise<boolean>;
  maxPushBytes: number;
}

const SERVICES = new Set(['git-receive-pack', 'git-upload-pack']);

function pktLine(s: string): string {
  return (s.length + 4).toString(16).padStart(4, '0') + s;
}

function basicToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 ? decoded.slice(i + 1) : decoded;
  }
  const b = /^Bearer\s+(\S+)$/i.exec(h);
  return b ? b[1]! : null;
}

export function registerGitHttp(app: FastifyInstance, deps: GitHttpDeps): void {
  app.addContentTypeParser(['application/x-git-receive-pack-request', 'application/x-git-upload-pack-request'], (_req, payload, done) => done(null, payload));

  async function gate(req: FastifyRequest, reply: FastifyReply, service: string): Promise<{ user: User; app: string } | null> {
    const { repo } = req.params as { repo: string };
    const m = /^([a-z0-9-]{1,64})\.git$/.exec(repo);
    const token = basicToken(req);
    const user = token ? await deps.authenticate(token) : null;
    // A refused POST's body is not read (see refuseBody): the connection closes after the answer.
    const close = req.method === 'POST' ? { connection: 'close' } : {};
    if (!user) {
      reply.code(401).headers(close).header('www-authenticate', 'Basic realm="Yunbang"').type('text/plain').send('Authentication required: use your API token as the password.\n');
      return null;
    }
    const action: Action = service === 'git-receive-pack' ? 'deploy' : 'read';
    if (!m || !(await deps.authorize(user, m[1]!, action))) {
      reply.code(404).headers(close).type('text/plain').send(`Repository not found: ${repo.slice(0, 70)}\n`);
      return null;
    }
    return { user, app: m[1]! };
  }

  function gitEnv(app: string, user: User, req: FastifyRequest): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME,
      YB_HOOK_URL: deps.hookUrl, YB_HOOK_SECRET: deps.hookSecret, YB_APP: app, YB_USER: user.name,
    };
    const proto = req.headers['git-protocol'];
    if (typeof proto === 'string' && /^[a-z0-9=:._-]{1,64}$/i.test(proto)) env.GIT_PROTOCOL = proto;
    return env;
  }

  app.get('/git/:repo/info/refs', async (req, reply) => {
    const service = (req.query as { service?: string }).service ?? '';
    if (!SERVICES.has(service)) return reply.code(403).type('text/plain').send('Dumb HTTP is not supported; use a git client with smart HTTP.\n');
    const ok = await gate(req, reply, service);
    if (!ok) return reply;
    const dir = await ensureRepo(deps.dataDir, ok.app);
    const child = spawn('git', [service.slice(4), '--stateless-rpc', '--advertise-refs', dir], { env: gitEnv(ok.app, ok.user, req), stdio: ['ignore', 'pipe', 'ignore'] });
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': `application/x-${service}-advertisement`, 'cache-control': 'no-cache' });
    if (!req.headers['git-protocol']?.toString().includes('version=2')) raw.write(`${pktLine(`# service=${service}\n`)}0000`);
    child.stdout.pipe(raw);
    child.on('error', () => raw.destroy());
  });

  for (const service of SERVICES) {
    // The size limit of a pack is enforced while streaming (below), with a message git shows: the pack content types
    // reach the handler as a stream, to which fastify's bodyLimit does not apply. Other content types (refused
    // with 415) are held to the API's default bodyLimit, so they cannot be buffered without bound.
    app.post(`/git/:repo/${service}`, async (req, reply) => {
      const ok = await gate(req, reply, service);
      if (!ok) {
        refuseBody(req);
        return reply;
      }
      if (typeof (req.body as Readable | undefined)?.pipe !== 'function') {
        return reply.code(415).type('text/plain').send(`Expected a body of type application/x-${service}-request.\n`);
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > deps.maxPushBytes) {
        (req.body as Readable).resume();
        return reply.code(413).type('text/plain').send(`push refused: it is larger than the ${Math.round(deps.maxPushBytes / 1024 / 1024)} MiB limit\n`);
      }
      const dir = await ensureRepo(deps.dataDir, ok.app);
      let body = req.body as Readable;
      if (req.headers['content-encoding'] === 'gzip') body = body.pipe(createGunzip());
      const child = spawn('git', [service.slice(4), '--stateless-rpc', dir], { env: gitEnv(ok.app, ok.user, req), stdio: ['pipe', 'pipe', 'pipe'] });
      let received = 0;
      const limitMiB = Math.round(deps.maxPushBytes / 1024 / 1024);
      let refused = false;
      body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > deps.maxPushBytes && !refused) {
          refused = true;
          body.unpipe(child.stdin);
          body.resume(); // unpipe pauses a stream left without destinations; keep draining
          child.kill('SIGTERM');
          child.stdout.unpipe(reply.raw);
        }
        // The rest is read and dropped (up to a bound) so that the client, which sends the whole pack before it
        // reads the answer, gets to see why; past the bound the connection is cut.
        if (refused && received > 4 * deps.maxPushBytes + 16 * 1024 * 1024) body.destroy();
      });
      body.on('end', () => {
        // git shows a side-band channel 3 packet as "remote: <message>" and stops; receive-pack had written
        // nothing yet (it answers only after the whole pack), so this is the first thing the client reads.
        if (refused) reply.raw.end(pktLine(`\x03push refused: it is larger than the ${limitMiB} MiB limit\n`));
      });
      body.pipe(child.stdin);
      child.stdin.on('error', () => undefined); // git exits early on bad input; its stdout says why
      body.on('error', () => child.kill('SIGTERM')); // e.g. a body that is not the gzip it claims to be: end git, not the process (#6)
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': `application/x-${service}-result`, 'cache-control': 'no-cache' });
      child.stdout.pipe(raw);
      child.stderr.resume();
      child.on('error', () => raw.destroy());
    });
  }
}

/** What an unauthenticated or unauthorised client may send after its refusal before the connection is cut. */
export const REFUSED_BODY_BYTES = 64 * 1024;

/**
 * The body of a refused request is read (and dropped) only up to REFUSED_BODY_BYTES, enough for a small request
 * to finish cleanly and its client to read the answer; past that the connection is closed, so that nobody without
 * a valid token can make the platform read without end.
 */
function refuseBody(req: FastifyRequest): void {
  const body = req.body as Readable | undefined;
  const raw = typeof body?.on === 'function' ? body : req.raw;
  let seen = 0;
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > REFUSED_BODY_BYTES) req.raw.socket.destroy();
  });
  raw.resume();
}
