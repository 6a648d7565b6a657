// The console's `yb run` over a WebSocket (src/api/run-websocket.ts) against the real platform: a command runs on a
// TTY with its output, input, resize and exit code; closing the socket removes the one-off. The attacks: a foreign
// Origin with a valid session cookie, a missing or wrong CSRF token, a viewer, another team's member, a Bearer token
// without a session, an over-long message. Each is refused and starts no process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

let p: Platform;
const tokens: Record<string, string> = {};
const APP = 'ws-app';

async function api(method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A console session of `user`: its cookie and CSRF token. */
async function session(user: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${p.apiUrl}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: tokens[user] }),
  });
  assert.equal(res.status, 201);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

type Opened = { ws: WebSocket } | { status: number; body: string };

function open(app: string, headers: Record<string, string>): Promise<Opened> {
  const url = `${p.apiUrl.replace(/^http/, 'ws')}/apps/${app}/dynos/attach`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Everything a socket says until it closes: the output text, the control messages, the close code. */
function record(ws: WebSocket) {
  const out = { text: '', messages: [] as any[], closed: null as number | null, reason: '' };
  ws.on('message', (d: Buffer, binary: boolean) => (binary ? (out.text += d.toString()) : out.messages.push(JSON.parse(d.toString()))));
  ws.on('close', (code, reason) => ((out.closed = code), (out.reason = reason.toString())));
  ws.on('error', () => undefined);
  return out;
}

async function opened(app: string, headers: Record<string, string>): Promise<WebSocket> {
  const r = await open(app, headers);
  assert.ok('ws' in r, `the upgrade was refused: ${JSON.stringify(r)}`);
  return r.ws;
}

const noOneOffs = async () => assert.deepEqual(await p.probe.processes({ kind: 'run' }), []);

before(async () => {
  p = await startPlatform();
  for (const u of ['olga', 'vic', 'xena']) tokens[u] = (await api('POST', '/users', p.token, { name: u })).token;
  await api('POST', '/teams', tokens.olga!, { name: 'team-m' });
  await api('POST', '/teams/team-m/members', tokens.olga!, { user: 'vic', role: 'viewer' });
  await api('POST', '/teams', tokens.xena!, { name: 'team-x' });
  await api('POST', '/apps', tokens.olga!, { name: APP, team: 'team-m' });
  const repo = await fixtureRepo('node-hello', p.dataDir);
  const push = await git(repo, ['push', `http://olga:${tokens.olga}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await p?.stop();
});

test('a command runs on a TTY: output, input, resize and the exit code; nothing is left afterwards', { timeout: 300_000 }, async () => {
  const s = await session('olga');
  const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
  const out = record(ws);
  ws.send(
    JSON.stringify({
      type: 'start',
      csrf: s.csrf,
      command: 'test -t 0 && echo "on-a-tty $DYNO"; while read l; do [ "$l" = done ] && exit 7; stty size; done',
      cols: 100,
      rows: 30,
    }),
  );
  await until('the output of the command', () => out.text.includes('on-a-tty run.1'), 120_000);
  assert.deepEqual(out.messages[0], { type: 'started' });
  // A resize reaches the process's terminal: ask its size until it answers the new one.
  ws.send(JSON.stringify({ type: 'resize', cols: 77, rows: 22 }));
  await until(
    'the new terminal size',
    () => {
      ws.send(Buffer.from('size\r'));
      return /22 77/.test(out.text);
    },
    30_000,
  );
  ws.send(Buffer.from('done\r'));
  await until('the socket to close', () => out.closed !== null, 60_000);
  assert.deepEqual(out.messages.at(-1), { type: 'exit', code: 7 });
  assert.equal(out.closed, 1000);
  await noOneOffs(); // removed before the exit code was sent
});

test('closing the socket stops and removes the one-off', { timeout: 300_000 }, async () => {
  const s = await session('olga');
  const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
  const out = record(ws);
  ws.send(JSON.stringify({ type: 'start', csrf: s.csrf, command: 'echo sleeping; sleep 600' }));
  await until('the command to start', () => out.text.includes('sleeping'), 120_000);
  assert.equal((await p.probe.processes({ kind: 'run' })).length, 1);
  ws.close();
  await until('the one-off to be removed', async () => (await p.probe.processes({ kind: 'run' })).length === 0, 60_000);
});

test('a page of another site cannot ride the session cookie: a foreign or missing Origin is refused before the upgrade', async () => {
  const s = await session('olga');
  for (const origin of ['http://evil.example', 'http://127.0.0.1.evil.example', 'null']) {
    const r = await open(APP, { cookie: s.cookie, origin });
    assert.ok('status' in r && r.status === 403, `Origin ${origin}: ${JSON.stringify(r)}`);
    assert.match(r.body, /not opened by the console/);
  }
  const none = await open(APP, { cookie: s.cookie });
  assert.ok('status' in none && none.status === 403);
  await noOneOffs();
});

test('without the session cookie (a Bearer token, or nothing) the upgrade is refused', async () => {
  const cases: Array<Record<string, string>> = [
    { authorization: `Bearer ${tokens.olga}`, origin: p.apiUrl },
    { origin: p.apiUrl },
    { cookie: 'yb_session=x', origin: p.apiUrl },
  ];
  for (const headers of cases) {
    const r = await open(APP, headers);
    assert.ok('status' in r && r.status === 401, JSON.stringify(r));
  }
});

test('a missing or wrong CSRF token, or a malformed start, is refused and starts nothing', async () => {
  const s = await session('olga');
  const other = await session('olga'); // another session's token is not this one's
  const starts = [
    [{ type: 'start', command: 'echo x' }, 4400, /no CSRF token/],
    [{ type: 'start', csrf: '', command: 'echo x' }, 4403, /CSRF token .* does not match/],
    [{ type: 'start', csrf: other.csrf, command: 'echo x' }, 4403, /CSRF token .* does not match/],
    ['not json', 4400, /must be JSON/],
  ] as const;
  for (const [msg, code, sentence] of starts) {
    const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
    const out = record(ws);
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
    await until('the refusal', () => out.closed !== null, 30_000);
    assert.equal(out.closed, code, JSON.stringify(out));
    assert.match(out.messages[0].message, sentence);
    assert.equal(out.text, '');
  }
  await noOneOffs();
});

test("a viewer may not run commands, and another team's app is not found", async () => {
  for (const [user, code, id, sentence] of [
    ['vic', 4403, 'forbidden', /does not allow running commands/],
    ['xena', 4404, 'app_not_found', /no app named "ws-app"/],
  ] as const) {
    const s = await session(user);
    const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
    const out = record(ws);
    ws.send(JSON.stringify({ type: 'start', csrf: s.csrf, command: 'echo should-not-run' }));
    await until(`the refusal of ${user}`, () => out.closed !== null, 30_000);
    assert.equal(out.closed, code);
    assert.equal(out.messages[0].id, id);
    assert.match(out.messages[0].message, sentence);
    assert.doesNotMatch(out.text, /should-not-run/);
  }
  // Another team's app answers exactly like a missing one.
  const s = await session('xena');
  const ws = await opened('no-such-app', { cookie: s.cookie, origin: p.apiUrl });
  const out = record(ws);
  ws.send(JSON.stringify({ type: 'start', csrf: s.csrf, command: 'echo x' }));
  await until('the refusal', () => out.closed !== null, 30_000);
  assert.equal(out.closed, 4404);
  await noOneOffs();
});

test('a message over 64 KiB closes the socket (1009) and the one-off goes with it', { timeout: 300_000 }, async () => {
  const s = await session('olga');
  const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
  const out = record(ws);
  ws.send(JSON.stringify({ type: 'start', csrf: s.csrf, command: 'echo waiting; cat > /dev/null' }));
  await until('the command to start', () => out.text.includes('waiting'), 120_000);
  ws.send(Buffer.alloc(65 * 1024, 97));
  await until('the socket to close', () => out.closed !== null, 30_000);
  assert.equal(out.closed, 1009, 'closed as "message too big"');
  await until('the one-off to be removed', async () => (await p.probe.processes({ kind: 'run' })).length === 0, 60_000);
});

test('ybd stops while a command runs in the browser: the socket is closed instead of holding the stop', { timeout: 300_000 }, async () => {
  const s = await session('olga');
  const ws = await opened(APP, { cookie: s.cookie, origin: p.apiUrl });
  const out = record(ws);
  ws.send(JSON.stringify({ type: 'start', csrf: s.csrf, command: 'echo waiting; sleep 600' }));
  await until('the command to start', () => out.text.includes('waiting'), 120_000);
  p.child.kill('SIGTERM');
  await until('ybd to exit', () => p.child.exitCode !== null || p.child.signalCode !== null, 60_000);
  await until('the socket to close', () => out.closed !== null, 10_000);
});
