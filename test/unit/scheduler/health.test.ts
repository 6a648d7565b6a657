import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthCommand, listensOn } from '../../../src/scheduler/health.js';

test('a Dockerfile HEALTHCHECK test becomes the command the platform runs: CMD as is, CMD-SHELL through sh, NONE none', () => {
  assert.deepEqual(healthCommand(['CMD', 'curl', '-f', 'http://127.0.0.1/']), ['curl', '-f', 'http://127.0.0.1/']);
  assert.deepEqual(healthCommand(['CMD-SHELL', 'curl -f http://127.0.0.1/ || exit 1']), ['/bin/sh', '-c', 'curl -f http://127.0.0.1/ || exit 1']);
  assert.equal(healthCommand(['NONE']), null);
  assert.equal(healthCommand([]), null);
  assert.equal(healthCommand(undefined), null);
  assert.equal(healthCommand(['CMD']), null);
});

test('a listening socket is found in /proc/net/tcp by port (state 0A), not a connected one', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0',
    '   1: 0100007F:1388 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 20 4 30 10 -1',
  ].join('\n');
  assert.equal(listensOn(table, 8000), true);
  assert.equal(listensOn(table, 5000), false);
});
