// YB_LOG_DIR (issue #19 item 3: the host install keeps logs in /var/log/yunbang): with it set, the embedded etcd's
// output, the router child's access log and the apps' stored streams are written there and nothing under
// $YB_DATA_DIR/logs. The install test covers the router as its own unit; this one ybd's own children.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startPlatform, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const logDir = mkdtempSync('/var/tmp/yb-log-dir-test-');
let p: Platform | undefined;

after(async () => {
  await p?.stop();
  rmSync(logDir, { recursive: true, force: true });
});

test('the platform writes its log files to YB_LOG_DIR', async () => {
  p = await startPlatform({ YB_LOG_DIR: logDir });
  await p.yb(['apps:create', 'logdir-web', '--no-remote']);
  await p.yb(['builds:create', '-a', 'logdir-web', '--source', join(ROOT, 'test/fixtures/apps/dockerfile-hello')]);
  await until('logdir-web served', async () => (await p!.fetchApp('logdir-web.localhost')).status === 200);
  await until('the router line in the app stream', async () => (await p!.yb(['logs', '-a', 'logdir-web', '--source', 'router'])).stdout.includes('status=200'));
  assert.ok(readFileSync(join(logDir, 'router.log'), 'utf8').includes('"app":"logdir-web"'), "the router's access log");
  assert.ok(existsSync(join(logDir, 'etcd.log')), "the embedded etcd's output");
  assert.ok(existsSync(join(logDir, 'apps', 'logdir-web.jsonl')), "the app's stored stream");
  assert.ok(!existsSync(join(p.dataDir, 'logs')), 'nothing under the data directory');
});
