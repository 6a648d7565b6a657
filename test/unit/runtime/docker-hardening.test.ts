// The hardening each kind of container gets (issue #14): pids, no-new-privileges, capabilities, memory. Pure; the
// real containers carrying it are inspected by test/integration/security/hardening.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HARDENING, hostHardening, PROCESS_CAPS, SERVICE_CAPS, type ContainerKind } from '../../../src/runtime/hardening.js';

const MiB = 1024 * 1024;
const settings = { processPids: 100, buildPids: 2000, servicePids: 300, processMemoryBytes: 256 * MiB, serviceMemoryBytes: 768 * MiB };
const KINDS: ContainerKind[] = ['process', 'one-off', 'build', 'service'];

test('every kind drops all capabilities, cannot gain privileges and has a pids limit of its own', () => {
  const pids = KINDS.map((k) => hostHardening(k, settings).PidsLimit);
  assert.deepEqual(pids, [100, 100, 2000, 300]);
  for (const k of KINDS) {
    const h = hostHardening(k, settings);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges'], k);
    assert.deepEqual(h.CapDrop, ['ALL'], k);
  }
});

test('the capabilities kept: a web app may bind low ports and drop to its user; builds keep none; nobody keeps NET_RAW', () => {
  assert.deepEqual(hostHardening('process', settings).CapAdd, [...PROCESS_CAPS]);
  assert.deepEqual(hostHardening('one-off', settings).CapAdd, [...PROCESS_CAPS]);
  assert.deepEqual(hostHardening('service', settings).CapAdd, [...SERVICE_CAPS]);
  assert.deepEqual(hostHardening('build', settings).CapAdd, []);
  assert.ok(PROCESS_CAPS.includes('NET_BIND_SERVICE') && PROCESS_CAPS.includes('SETUID') && PROCESS_CAPS.includes('SETGID'));
  const dangerous = [
    'NET_RAW',
    'MKNOD',
    'SYS_CHROOT',
    'AUDIT_WRITE',
    'SETPCAP',
    'SETFCAP',
    'NET_ADMIN',
    'SYS_ADMIN',
    'SYS_PTRACE',
    'SYS_MODULE',
    'DAC_READ_SEARCH',
  ];
  for (const k of KINDS) for (const cap of dangerous) assert.ok(!hostHardening(k, settings).CapAdd.includes(cap), `${k} keeps ${cap}`);
});

test('memory: a process or one-off without a size gets the default, a size wins, swap is held to the limit', () => {
  assert.equal(hostHardening('process', settings).Memory, 256 * MiB);
  assert.equal(hostHardening('process', settings).MemorySwap, 256 * MiB);
  assert.equal(hostHardening('one-off', settings).Memory, 256 * MiB);
  assert.equal(hostHardening('process', settings, 1024 * MiB).Memory, 1024 * MiB);
  assert.equal(hostHardening('process', settings, 1024 * MiB).MemorySwap, 1024 * MiB);
});

test('memory: builds have only the limit they are given, services their own default; 0 settings mean no limit', () => {
  assert.equal(hostHardening('build', settings).Memory, undefined);
  assert.equal(hostHardening('build', settings, 4096 * MiB).Memory, 4096 * MiB);
  assert.equal(hostHardening('service', settings).Memory, 768 * MiB);
  assert.equal(hostHardening('service', settings).MemorySwap, 768 * MiB);
  const none = { processPids: 0, buildPids: 0, servicePids: 0, processMemoryBytes: 0, serviceMemoryBytes: 0 };
  for (const k of KINDS) {
    assert.equal(hostHardening(k, none).PidsLimit, undefined, k);
    assert.equal(hostHardening(k, none).Memory, undefined, k);
    assert.equal(hostHardening(k, none).MemorySwap, undefined, k);
  }
});

test('the defaults: 512 pids and 512 MiB for processes, 4096 pids for builds, 1024 pids and 1 GiB for services', () => {
  assert.deepEqual(DEFAULT_HARDENING, { processPids: 512, buildPids: 4096, servicePids: 1024, processMemoryBytes: 512 * MiB, serviceMemoryBytes: 1024 * MiB });
});
