// Team networks against the real engine: Docker does not keep network names unique, so concurrent
// ensureNetwork calls must make one network, and duplicates left by an earlier race are reduced to one (a
// container started on an ambiguous name fails: "network … is ambiguous"). Docker-only by nature (the Kubernetes
// backend's namespaces have unique names); team isolation on both backends is proven in auth/tenants.test.ts.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { dockerOnly } from '../../helpers/backend.js';

const instance = `ybnet${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
const runtime = new DockerRuntime(instance);
const named = async (name: string) => (await runtime.engine.docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);

after(async () => {
  await runtime.removeNetworks();
});

dockerOnly('concurrent ensureNetwork calls for one name make one network', 'Docker network names are not unique', async () => {
  const names = await Promise.all(Array.from({ length: 8 }, () => runtime.ensureNetwork('a')));
  const name = `${instance}-team-a`;
  assert.deepEqual(new Set(names), new Set([name]), 'the network of team a is named by the instance and the team');
  assert.equal((await named(name)).length, 1);
  await runtime.ensureNetwork('a');
  assert.equal((await named(name)).length, 1, 'an existing network is reused');
});

dockerOnly('duplicates of a name (from an earlier race) are reduced to the oldest', 'Docker network names are not unique', async () => {
  const name = `${instance}-team-b`;
  const make = () => runtime.engine.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: false, Labels: { 'yunbang.instance': instance } });
  const first = await make();
  await make();
  await make();
  assert.equal((await named(name)).length, 3, 'the engine accepted the duplicates');
  await runtime.ensureNetwork('b');
  const left = await named(name);
  assert.equal(left.length, 1);
  assert.equal(left[0]!.Id, first.id);
});
