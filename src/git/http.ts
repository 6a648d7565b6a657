// Git smart HTTP (push and fetch) for /git/<app>.git, spawning git's own receive-pack/upload-pack with
// --stateless-rpc. Every request is authenticated (basic auth, password = API token) and authorised per app.
import { spawn } from 'node:child_process';
import { STATUS_CODES } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { User } from '../auth/tokens.js';
import type { Action } from '../auth/access.js';
import { ensureRepo } from './repos.js';
import { endGroup } from './end-group.js';

export interface GitHttpDeps {
  dataDir: string;
  hookUrl: string;
  hookSecret: string;
  /** Resolves the user of an API token, or null. */
  authenticate(token: string): Promise<User | null>;
  /** Resolves whether the user may do `action` on the app; false also when the app does not exist. */
  authorize(user: User, app: string, action: Action): Promise<boolean>;
  /** The app's new name when it was renamed (apps:rename) and the user may see it; null otherwise. */
  renamedTo?(user: User, app: string): Promise<string | null>;
  maxPushBytes: number;
  /** Whether the app is a pipeline's review parent: its hook then deploys other branches as review apps. */
  reviewParent?(app: string): Promise<boolean>;
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
    // A refused POST's body is not read beyond a bound (see refusePost); a GET has none.
    const refuse = (status: number, headers: Record<string, string>, text: string) => {
      if (req.method === 'POST') refusePost(req, reply, status, headers, text);
      else reply.code(status).headers(headers).type('text/plain').send(text);
    };
    if (!user) {
      refuse(401, { 'www-authenticate': 'Basic realm="Yunbang"' }, 'Authentication required: use your API token as the password.\n');
      return null;
    }
    const action: Action = service === 'git-receive-pack' ? 'deploy' : 'read';
    if (!m || !(await deps.authorize(user, m[1]!, action))) {
      const to = m ? await deps.renamedTo?.(user, m[1]!) : null;
      if (!to) {
        refuse(404, {}, `Repository not found: ${repo.slice(0, 70)}\n`);
        return null;
      }
      // An old remote of a renamed app: git shows an ERR line of the advertisement as "fatal: remote error: …".
      const url = `${req.protocol}://${req.headers.host ?? 'localhost'}/git/${to}.git`;
      const text = `app ${m![1]} was renamed to ${to}; point your remote at it: git remote set-url yb ${url}`;
      if (req.method === 'POST') refusePost(req, reply, 404, {}, `${text}\n`);
      else
        reply
          .code(200)
          .header('cache-control', 'no-cache')
          .type(`application/x-${service}-advertisement`)
          .send(`${pktLine(`# service=${service}\n`)}0000${pktLine(`ERR ${text}\n`)}`);
      return null;
    }
    return { user, app: m[1]! };
  }

  function gitEnv(app: string, user: User, req: FastifyRequest): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      YB_HOOK_URL: deps.hookUrl,
      YB_HOOK_SECRET: deps.hookSecret,
      YB_APP: app,
      YB_USER: user.name,
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
    const child = spawn('git', [service.slice(4), '--stateless-rpc', '--advertise-refs', dir], {
      env: gitEnv(ok.app, ok.user, req),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
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
      if (!ok) return reply;
      if (typeof (req.body as Readable | undefined)?.pipe !== 'function') {
        return reply.code(415).type('text/plain').send(`Expected a body of type application/x-${service}-request.\n`);
      }
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > deps.maxPushBytes) {
        (req.body as Readable).resume();
        return reply
          .code(413)
          .type('text/plain')
          .send(`push refused: it is larger than the ${Math.round(deps.maxPushBytes / 1024 / 1024)} MiB limit\n`);
      }
      const dir = await ensureRepo(deps.dataDir, ok.app);
      // Asked before the body is piped anywhere: nothing may wait between piping it and listening for its errors.
      const env = gitEnv(ok.app, ok.user, req);
      if (service === 'git-receive-pack' && (await deps.reviewParent?.(ok.app))) env.YB_REVIEW_APPS = '1';
      let body = req.body as Readable;
      if (req.headers['content-encoding'] === 'gzip') body = body.pipe(createGunzip());
      // Its own process group: a pusher that goes away ends git and the pre-receive hook with it (the hook's curl
      // then closes its deploy request, and a build still queued for a slot leaves the queue; build/slots.ts).
      const child = spawn('git', [service.slice(4), '--stateless-rpc', dir], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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
      raw.once('close', () => {
        // git removes its lock files on SIGTERM; a group already gone (git ended) is nothing to end.
        if (!raw.writableFinished && child.pid && child.exitCode === null && child.signalCode === null) endGroup(child.pid);
      });
    });
  }
}

/** What an unauthenticated or unauthorised client may send of its body before reading it stops. */
export const REFUSED_BODY_BYTES = 64 * 1024;
/** How long the refusal stays readable, after it was sent and reading stopped, before the connection is cut. */
const REFUSED_LINGER_MS = 2000;

/**
 * Answers a refused POST without reading its body without end (the old code drained it forever): a body of up to
 * REFUSED_BODY_BYTES is read and then answered. A larger one is not read on: the answer and a FIN are sent at
 * once. Either way the socket is destroyed REFUSED_LINGER_MS later, time for the client to read why (cutting at
 * once would reset the connection, and a reset can discard the answer in the client's buffers).
 */
function refusePost(req: FastifyRequest, reply: FastifyReply, status: number, headers: Record<string, string>, text: string): void {
  reply.hijack();
  const socket = req.raw.socket;
  const body = req.body as Readable | undefined;
  const input = typeof body?.on === 'function' ? body : req.raw;
  const head = Object.entries({
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  let answered = false;
  const answer = (cut: boolean) => {
    if (answered) return;
    answered = true;
    if (cut) socket.pause();
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${text}`);
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref(); // a client that neither reads nor closes
  };
  let seen = 0;
  input.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > REFUSED_BODY_BYTES) answer(true);
  });
  input.once('end', () => answer(false));
  input.once('error', () => socket.destroy());
  input.resume();
}
