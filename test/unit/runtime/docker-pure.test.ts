// The Docker backend's pure readings of engine answers: image config, /proc tables, stats, labels, events, inspect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedPort, healthCommand, isImageRef, loadResult } from '../../../src/runtime/docker/docker-images.js';
import { cgroupDirs, cpuCores, listensOn, memoryInUse, statValue } from '../../../src/runtime/docker/proc.js';
import { labelFilters, workloadLabels, workloadOf } from '../../../src/runtime/workload-labels.js';
import { runtimeEvent } from '../../../src/runtime/docker/docker-events.js';
import { addressOf } from '../../../src/runtime/docker/docker-runtime.js';
import type Docker from 'dockerode';

test('the first exposed TCP port is the web port', () => {
  assert.equal(exposedPort({ '8080/tcp': {}, '53/udp': {}, '3000/tcp': {} }), 3000);
  assert.equal(exposedPort({ '53/udp': {} }), undefined);
  assert.equal(exposedPort(undefined), undefined);
});

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

test('CPU in cores from two Docker readings', () => {
  assert.equal(cpuCores({ total: 2e9, system: 10e9, cpus: 4 }, { total: 1e9, system: 6e9 }), 1);
  assert.equal(cpuCores({ total: 1e9, system: 6e9, cpus: 4 }, { total: 1e9, system: 6e9 }), 0);
});

test('a workload round-trips through its labels; a selector filters by the instance and every given field', () => {
  const w = { kind: 'process' as const, app: 'shop', team: 'red', release: 7, type: 'web', index: 2, gen: 'a1b2c3' };
  assert.deepEqual(workloadOf({ 'yunbang.instance': 'yb', ...workloadLabels(w) }), w);
  assert.deepEqual(labelFilters('yb', { kind: 'service', service: 'db' }), ['yunbang.instance=yb', 'yunbang.kind=service', 'yunbang.service=db']);
  assert.deepEqual(labelFilters('yb', {}), ['yunbang.instance=yb']);
  // Labels a tenant cannot set (containers are ours) but that may be absent or odd: no NaN, no made-up fields.
  assert.deepEqual(workloadOf({ 'yunbang.kind': 'process', 'yunbang.release': 'x' }), { kind: 'process' });
  assert.deepEqual(workloadOf(undefined), { kind: 'process' });
});

test('engine events become runtime events; other actions and cut lines are dropped', () => {
  const line = JSON.stringify({
    Type: 'container',
    Action: 'die',
    Actor: { ID: 'c0ffee', Attributes: { 'yunbang.kind': 'process', 'yunbang.app': 'shop', 'yunbang.process': 'web', exitCode: '137' } },
  });
  assert.deepEqual(runtimeEvent(line), { action: 'die', id: 'c0ffee', workload: { kind: 'process', app: 'shop', type: 'web' }, exitCode: 137 });
  assert.equal(runtimeEvent(JSON.stringify({ Action: 'exec_start', Actor: { ID: 'c0ffee' } })), null);
  assert.equal(runtimeEvent('{"Action":"di'), null);
});

test('image references that could reach other engine API paths are refused; load answers are read', () => {
  assert.equal(isImageRef('yunbang-app/shop:abc'), true);
  assert.equal(isImageRef('registry.local:5000/x/y@sha256:' + 'a'.repeat(64)), true);
  for (const bad of ['../../containers/json', 'a//b', 'a/./b', '', '-x']) assert.equal(isImageRef(bad), false, bad);
  assert.deepEqual(loadResult('{"stream":"Loaded image: a/b:1\\n"}\n{"stream":"Loaded image ID: sha256:abc\\n"}'), {
    loaded: ['a/b:1', 'sha256:abc'],
    error: undefined,
  });
  assert.equal(loadResult('{"errorDetail":{"message":"bad"},"error":"bad"}').error, 'bad');
});

test('a process is reached at its team-network address, or at its published loopback port', () => {
  const info = {
    Config: { ExposedPorts: { '3000/tcp': {}, '5000/tcp': {} }, Labels: { 'yunbang.port': '5000' } },
    HostConfig: { NetworkMode: 'yb-team-red', PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    State: { Running: true },
    NetworkSettings: {
      Networks: { other: { IPAddress: '172.30.0.9' }, 'yb-team-red': { IPAddress: '172.29.0.4' } },
      Ports: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] },
    },
  } as unknown as Docker.ContainerInspectInfo;
  assert.deepEqual(addressOf(info, 'container'), { host: '172.29.0.4', port: 5000 });
  assert.deepEqual(addressOf(info, 'published'), { host: '127.0.0.1', port: 49153 });
  const older = { ...info, Config: { ExposedPorts: { '3000/tcp': {}, '5000/tcp': {} } } } as unknown as Docker.ContainerInspectInfo;
  assert.deepEqual(addressOf(older, 'container'), { host: '172.29.0.4', port: 5000 }, 'made before the port label: its binding names the port');
  const stopped = {
    ...info,
    State: { Running: false },
    NetworkSettings: { Networks: { 'yb-team-red': { IPAddress: '' } } },
  } as unknown as Docker.ContainerInspectInfo;
  assert.equal(addressOf(stopped, 'container'), undefined, 'a stopped container has no address');
});

test('a process cgroup: v1 controllers (also on a hybrid host that names a unified group), else the v2 group', () => {
  const id = 'a40782c4967a03e561886320d7b52bf3c508bd77706f86dfa29451edc80211bf';
  const hybrid = [`4:memory:/docker/${id}`, `2:cpuacct:/docker/${id}`, `1:cpu:/docker/${id}`, `0::/docker/${id}`, ''].join('\n');
  assert.deepEqual(cgroupDirs(hybrid), { memory: `/sys/fs/cgroup/memory/docker/${id}`, cpu: `/sys/fs/cgroup/cpuacct/docker/${id}`, v2: false });
  const combined = `11:memory:/docker/${id}\n3:cpu,cpuacct:/docker/${id}\n`;
  assert.equal(cgroupDirs(combined)?.cpu, `/sys/fs/cgroup/cpu,cpuacct/docker/${id}`);
  assert.deepEqual(cgroupDirs(`0::/system.slice/docker-${id}.scope\n`), {
    memory: `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
    cpu: `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
    v2: true,
  });
  assert.equal(cgroupDirs('garbage\n'), null);
  assert.equal(cgroupDirs(`4:memory:/docker/${id}\n`), null, 'no cpu accounting named');
});

test('memory in use is usage less inactive file cache, as docker stats counts it', () => {
  assert.equal(memoryInUse(10_000_000, 'cache 5\ntotal_inactive_file 4000000\ninactive_file 1\n', false), 6_000_000);
  assert.equal(memoryInUse(10_000_000, 'anon 1\ninactive_file 3000000\n', true), 7_000_000);
  assert.equal(memoryInUse(100, 'total_inactive_file 4000\n', false), 0);
  assert.equal(statValue('usage_usec 1234\nuser_usec 1000\n', 'usage_usec'), 1234);
  assert.equal(statValue('usage_usec 1234\n', 'user_usec'), undefined);
});
