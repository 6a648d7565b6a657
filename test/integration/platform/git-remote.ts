// A git server on 127.0.0.1 for the git:sync and webhook tests: the real `git http-backend` (smart HTTP, as a CGI)
// serving the bare repositories under one directory, optionally behind basic auth, and /slow/… (answers nothing).
// It records every request (path and whether it carried the expected credentials), so tests see what was fetched.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitRemote {
  url: string;
  /** Path (without query) and whether the right Authorization came, of every request. */
  requests: Array<{ path: string; authorized: boolean; authorization?: string }>;
  close(): Promise<void>;
}

/** Serves `root`/<name>.git at /git/<name>.git; with `auth`, every /git/ request needs that user and password. */
export async function startGitRemote(root: string, auth?: { user: string; password: string }): Promise<GitRemote> {
  const requests: GitRemote['requests'] = [];
  const want = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorized = want === undefined || req.headers.authorization === want;
    requests.push({ path: url.pathname, authorized, authorization: req.headers.authorization });
    if (url.pathname.startsWith('/slow/')) {
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' }).write('001e# service=git-upload-pack\n');
      return; // then nothing, until the client gives up
    }
    if (!url.pathname.startsWith('/git/')) return void res.writeHead(404).end();
    if (!authorized) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
    serveGitHttp(req, res, root, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Answers a request under /git/ with git http-backend (CGI) serving the repositories under `root`. */
export function serveGitHttp(req: IncomingMessage, res: ServerResponse, root: string, url: URL): void {
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: url.pathname.slice('/git'.length),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  req.pipe(cgi.stdin);
  const chunks: Buffer[] = [];
  cgi.stdout.on('data', (d: Buffer) => chunks.push(d));
  cgi.on('close', () => {
    const out = Buffer.concat(chunks);
    const end = out.indexOf('\r\n\r\n');
    let status = 200;
    for (const h of out.subarray(0, end).toString().split('\r\n')) {
      const [name, ...rest] = h.split(':');
      const value = rest.join(':').trim();
      if (name!.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else if (name) res.setHeader(name, value);
    }
    res.statusCode = status;
    res.end(out.subarray(end + 4));
  });
}
