// Issue #14 item 4 against the real platform: user-given URLs that reach loopback or cloud metadata through another
// spelling of the address (IPv4-mapped IPv6 in hex groups, `[::ffff:7f00:1]` = 127.0.0.1, `[::ffff:a9fe:a9fe]` =
// 169.254.169.254) or through a name that resolves to loopback are refused: buildpack tarball and git URLs reject the
// push in one line, log drains are refused when added (and a drain never connects), and a local server that counts
// every connection sees none. The platform runs with the default YB_OUTBOUND_PRIVATE=false.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { parseDrainUrl } from '../../../src/logs/drains/syslog-frame.js';
import { Drain } from '../../../src/logs/drains/drain.js';
import { BuildpackFetcher } from '../../../src/build/buildpack-fetch.js';

let p: Platform;
let counter: { port: number; connections: number; server: Server; sockets: Set<Socket> };
let repo: string;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;

/** A TCP server on 127.0.0.1 that counts connections and answers any HTTP request with a 404. */
async function countingServer(): Promise<typeof counter> {
  const sockets = new Set<Socket>();
  const c = {
    port: 0,
    connections: 0,
    sockets,
    server: createServer((s) => {
      c.connections++;
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      s.once('data', () => s.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
    }),
  };
  await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
  c.port = (c.server.address() as { port: number }).port;
  return c;
}

/** The connections the counting server saw while `f` ran. */
async function connectionsDuring(f: () => Promise<void>): Promise<number> {
  const before = counter.connections;
  await f();
  return counter.connections - before;
}

before(async () => {
  counter = await countingServer();
  p = await startPlatform();
  repo = await fixtureRepo('custom-buildpack', p.dataDir);
});

after(async () => {
  for (const s of counter?.sockets ?? []) s.destroy();
  counter?.server.close();
  await p?.stop();
});

test("the hex-group IPv6 spellings really reach this host's loopback (the attack is real)", async () => {
  const seen = await connectionsDuring(async () => {
    const res = await fetch(`http://[::ffff:7f00:1]:${counter.port}/bp.tgz`);
    assert.equal(res.status, 404);
  });
  assert.equal(seen, 1);
});

test('BUILDPACK_URL and buildpacks:set naming loopback as [::ffff:7f00:1] reject the push; nothing is requested', { timeout: 300_000 }, async () => {
  const cases: [string, string[], string, RegExp][] = [
    [
      'sec-bp-tar',
      ['config:set', `BUILDPACK_URL=http://[::ffff:7f00:1]:${counter.port}/bp.tgz`],
      `http://[::ffff:7f00:1]:${counter.port}/bp.tgz`,
      /::ffff:7f00:1 is a loopback address \(127\.0\.0\.1 written as IPv6\), which the platform does not connect to for users; set YB_OUTBOUND_PRIVATE=true/,
    ],
    [
      'sec-bp-git',
      ['buildpacks:set', `http://[::ffff:7f00:1]:${counter.port}/bp.git`],
      `http://[::ffff:7f00:1]:${counter.port}/bp.git`,
      /::ffff:7f00:1 is a loopback address \(127\.0\.0\.1 written as IPv6\)/,
    ],
    [
      'sec-bp-git4',
      ['buildpacks:set', `http://[::127.0.0.1]:${counter.port}/bp.git#main`],
      `http://[::127.0.0.1]:${counter.port}/bp.git#main`,
      /::7f00:1 is a loopback address \(127\.0\.0\.1 written as IPv6\)/,
    ],
    [
      'sec-bp-meta',
      ['config:set', `BUILDPACK_URL=http://[::ffff:a9fe:a9fe]/latest/bp.tgz`],
      'http://[::ffff:a9fe:a9fe]/latest/bp.tgz',
      /::ffff:a9fe:a9fe is a link-local address \(169\.254\.169\.254 written as IPv6\), which the platform does not connect to for users$/,
    ],
    [
      'sec-bp-name',
      ['buildpacks:set', `http://localhost:${counter.port}/bp.git`],
      `http://localhost:${counter.port}/bp.git`,
      /localhost \((127\.0\.0\.1|::1)\) is a loopback address/,
    ],
  ];
  for (const [app, set, url, reason] of cases) {
    await p.yb(['apps:create', app, '--no-remote']);
    await p.yb([...set, '-a', app]);
    let push = { code: 0, output: '' };
    const seen = await connectionsDuring(async () => {
      push = await git(repo, ['push', pushUrl(app), 'main']);
    });
    assert.notEqual(push.code, 0, push.output);
    const lines = push.output.split('\n').filter((l) => /^remote:\s+!/.test(l) && l.includes(`buildpack ${url} could not be used: `) && reason.test(l.trim()));
    assert.equal(lines.length, 1, `one line saying why, for ${url}:\n${push.output}`);
    assert.equal(seen, 0, `${url}: the server saw no connection`);
    const releases = JSON.parse((await p.yb(['releases', '--json', '-a', app])).stdout) as unknown[];
    assert.equal(releases.length, 0, 'nothing was released');
  }
});

test('buildpacks behind a name or a number that resolves to loopback, fetched directly: refused before fetch or git connects', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'yb-sec-bp-'));
  try {
    const fetcher = new BuildpackFetcher(cache, { maxBytes: 1024 * 1024, timeoutMs: 5000, allowPrivate: false });
    for (const host of ['localhost', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1', '[::ffff:0:7f00:1]', '[64:ff9b::7f00:1]']) {
      // A tarball goes through undici's connector (its lookup hook), a git URL through git with the checked address pinned.
      for (const ref of [
        { kind: 'tarball' as const, url: `http://${host}:${counter.port}/x.tgz` },
        { kind: 'git' as const, url: `http://${host}:${counter.port}/x.git`, ref: '' },
      ]) {
        const seen = await connectionsDuring(() =>
          assert.rejects(
            fetcher.fetch(ref, ref.url, () => undefined),
            /is a loopback address/,
          ),
        );
        assert.equal(seen, 0, ref.url);
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('drains:add refuses loopback and metadata however written, and names that resolve to loopback', async () => {
  await p.yb(['apps:create', 'sec-drains', '--no-remote']);
  const cases: [string, RegExp][] = [
    [
      `syslog+tcp://[::ffff:7f00:1]:${counter.port}`,
      /drain \[::ffff:7f00:1\]:\d+: ::ffff:7f00:1 is a loopback address \(127\.0\.0\.1 written as IPv6\), which the platform does not connect to for users; set YB_OUTBOUND_PRIVATE=true/,
    ],
    [`syslog+tls://[::ffff:7f00:1]:${counter.port}`, /::ffff:7f00:1 is a loopback address/],
    ['https://[::ffff:a9fe:a9fe]/', /drain \[::ffff:a9fe:a9fe\]: ::ffff:a9fe:a9fe is a link-local address \(169\.254\.169\.254 written as IPv6\)/],
    [`https://[::ffff:7f00:1]:${counter.port}/logs`, /::ffff:7f00:1 is a loopback address/],
    [`syslog+tcp://localhost:${counter.port}`, /localhost \((127\.0\.0\.1|::1)\) is a loopback address/],
    [`syslog+tcp://2130706433:${counter.port}`, /2130706433 \(127\.0\.0\.1\) is a loopback address/],
  ];
  const seen = await connectionsDuring(async () => {
    for (const [url, reason] of cases) {
      const res = await p.yb(['drains:add', url, '-a', 'sec-drains'], { allowFail: true });
      assert.equal(res.code, 2, `${url}: refused as a bad request\n${res.stdout}${res.stderr}`);
      assert.match(res.stderr, reason, url);
    }
  });
  assert.equal(seen, 0);
  assert.deepEqual(JSON.parse((await p.yb(['drains', '-a', 'sec-drains', '--json'])).stdout), [], 'no drain was kept');
});

test('a running drain checks the address it connects to: literals and resolved names, over TCP, TLS and HTTPS', async () => {
  const urls = [
    `syslog+tcp://[::ffff:7f00:1]:${counter.port}`,
    `syslog+tls://[::ffff:7f00:1]:${counter.port}`,
    `https://[::ffff:7f00:1]:${counter.port}/logs`,
    `syslog+tcp://localhost:${counter.port}`,
    `syslog+tls://localhost:${counter.port}`,
    `https://localhost:${counter.port}/logs`,
    `syslog+tcp://2130706433:${counter.port}`,
  ];
  const seen = await connectionsDuring(async () => {
    for (const url of urls) {
      const parsed = parseDrainUrl(url);
      assert.ok(!('error' in parsed), url);
      const d = new Drain({ id: 'x', app: 'guarded', url, token: 't', createdAt: '' }, parsed.kind, parsed.url, 10, false);
      d.push([{ t: new Date().toISOString(), s: 'app', p: 'web.1', m: 'must not arrive' }]);
      const deadline = Date.now() + 5000;
      while (!d.status().lastError && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      d.close();
      assert.match(d.status().lastError ?? '', /is a loopback address/, url);
    }
  });
  assert.equal(seen, 0);
});
