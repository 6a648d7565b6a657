// `yb version` against servers of the same and of another version. The server here is a stand-in answering only
// GET /version (what is tested is the CLI's decision to warn); the real server's answer is checked in
// test/integration/platform/upgrade.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PLATFORM_VERSION } from '../../../src/shared/version.js';

const YB = join(import.meta.dirname, '..', '..', '..', 'bin', 'yb.ts');

async function serverOf(version: string): Promise<{ url: string; server: Server; auth: string[] }> {
  const auth: string[] = [];
  const server = createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ version, node: 'v24.0.0', layout: 1 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, auth };
}

function yb(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', YB, ...args], {
      env: { ...process.env, YB_API_URL: url, YB_API_TOKEN: 'yb_test', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('the same version: both lines, no warning', async () => {
  const s = await serverOf(PLATFORM_VERSION);
  try {
    const r = await yb(s.url, ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^yb ${PLATFORM_VERSION.replaceAll('.', '\\.')} \\(Node\\.js v`, 'm'));
    assert.match(r.stdout, /^server .* \(Node\.js v24\.0\.0, state layout 1\)$/m);
    assert.equal(r.stderr, '');
    assert.deepEqual(s.auth, ['Bearer yb_test'], 'asked with the token');
  } finally {
    s.server.close();
  }
});

test('another version: a warning naming both, still exit 0; --json says mismatch', async () => {
  const s = await serverOf('9.9.9');
  try {
    const r = await yb(s.url, ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^warning: yb ${PLATFORM_VERSION.replaceAll('.', '\\.')} talks to a server at 9\\.9\\.9`, 'm'));
    const j = JSON.parse((await yb(s.url, ['version', '--json'])).stdout) as { mismatch: boolean; server: { version: string } };
    assert.deepEqual([j.mismatch, j.server.version], [true, '9.9.9']);
  } finally {
    s.server.close();
  }
});

test('no server: the CLI line, then the one-sentence error and exit 10', async () => {
  const r = await yb('http://127.0.0.1:1', ['version']);
  assert.equal(r.code, 10);
  assert.match(r.stdout, /^yb /);
  assert.match(r.stderr, /the Yunbang API is not reachable at http:\/\/127\.0\.0\.1:1/);
});
