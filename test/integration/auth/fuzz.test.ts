// Issue #6: scripts/fuzz-api.sh (schemathesis, from /openapi.json) against the real platform as an administrator:
// no 5xx, invalid input rejected with { id, message }, responses as documented; the platform survives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startPlatform, ROOT, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform();
});

after(async () => {
  await p?.stop();
});

test('schemathesis finds no failures in the API and the platform keeps running', { timeout: 600_000 }, async () => {
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
    const c = spawn('bash', ['scripts/fuzz-api.sh'], {
      cwd: ROOT,
      env: { ...process.env, YB_API_URL: p.apiUrl, YB_API_TOKEN: p.token, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolve({ code: code ?? -1, output: out }));
  });
  const summary = output.slice(output.lastIndexOf('SUMMARY'));
  const cases = /(\d+) generated/.exec(summary)?.[1];
  process.stdout.write(`# fuzz: ${cases ?? '?'} cases generated; exit ${code}\n`);
  const details =
    output.includes('= ERRORS =') || output.includes('= FAILURES =')
      ? output.slice(Math.min(...['= ERRORS =', '= FAILURES ='].map((m) => output.indexOf(m)).filter((i) => i >= 0)))
      : output;
  assert.equal(code, 0, details.slice(0, 20000));
  assert.ok(Number(cases) > 1000, `enough cases were generated (${cases})`);
  assert.ok(!output.includes(p.token), 'the token is not printed');
  assert.equal(p.child.exitCode, null, 'ybd is still running');
  assert.equal((await fetch(`${p.apiUrl}/healthz`)).status, 200);
});
