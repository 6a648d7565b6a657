// The Kubernetes backend's decisions without a cluster: names, manifests, pod events, process state, exec framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aliasLabel,
  aliasServiceName,
  dnsLabel,
  isolationPolicy,
  namespaceName,
  objectName,
  podSpec,
  processManifest,
} from '../../../src/runtime/kubernetes/kube-objects.js';
import { podEvents, type PodLike } from '../../../src/runtime/kubernetes/kube-events.js';
import { stateOf } from '../../../src/runtime/kubernetes/kube-state.js';
import { execCommand, exitCodeOfStatus } from '../../../src/runtime/kubernetes/kube-streams.js';
import { nodeSources } from '../../../src/runtime/kubernetes/start.js';
import type { ProcessSpec } from '../../../src/runtime/runtime.js';

test('names are DNS labels; long or unusual ones keep a hash so two never meet', () => {
  assert.equal(dnsLabel('team-a'), 'team-a');
  const a = objectName('ybt1.hello.web.1.v3.abc123');
  assert.match(a, /^[a-z0-9-]{1,52}$/);
  assert.notEqual(objectName('x'.repeat(80)), objectName(`${'x'.repeat(79)}y`));
  assert.ok(objectName('y'.repeat(200)).length <= 52);
  assert.match(namespaceName('ybtABC', 'Team_1'), /^[a-z0-9-]{1,63}$/);
  assert.notEqual(namespaceName('a-b', 'c'), namespaceName('a', 'b-c'), 'instance/team boundaries are kept by the hash');
  assert.match(aliasLabel('hello.worker'), /^yunbang\.alias\.[0-9a-f]{12}$/);
});

test('the team policy admits the namespace and the given host sources only', () => {
  const p = isolationPolicy('i1', 'a', ['10.1.0.1/32']) as { spec: { policyTypes: string[]; ingress: Array<{ from: unknown[] }> } };
  assert.deepEqual(p.spec.policyTypes, ['Ingress']);
  assert.deepEqual(p.spec.ingress[0]!.from, [{ podSelector: {} }, { ipBlock: { cidr: '10.1.0.1/32' } }]);
});

test('pods are hardened: no service-account token, no service links, capabilities dropped, config only by Secret', () => {
  const spec: ProcessSpec = {
    name: 'i.app.web.1.v1.a',
    workload: { kind: 'process', app: 'app', team: 't', release: 1, type: 'web', index: 1, gen: 'a' },
    image: 'img',
    command: ['run'],
    env: { SECRET: 'shh' },
    port: 5000,
    network: 'ns',
    aliases: ['app'],
    restart: 'on-failure',
  };
  const pod = podSpec({
    image: 'r/i@sha256:x',
    args: spec.command,
    envSecret: 'n',
    port: 5000,
    caps: ['KILL'],
    hostAliases: [],
    restartPolicy: 'Always',
    memoryBytes: 1024,
  });
  const json = JSON.stringify(processManifest('i', 'ns', spec, pod));
  assert.ok(!json.includes('shh'), 'config values never appear in the workload');
  const c = (pod.containers as Array<Record<string, unknown>>)[0]!;
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.enableServiceLinks, false);
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['KILL'] } });
  assert.deepEqual(c.args, ['run'], 'the command replaces CMD and keeps ENTRYPOINT, as on Docker');
});

const pod = (state: Record<string, unknown> | undefined, extra: Partial<PodLike['metadata']> = {}, restartCount = 0): PodLike => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { 'yunbang.object': 'o' }, ...extra },
  status: { containerStatuses: [{ restartCount, ...(state ? { state } : {}) }] },
});

test('pod events: start once per run, die on exit; a stop request is a kill at once and a die when it ended; a list makes none', () => {
  let seen = podEvents(undefined, pod({ waiting: { reason: 'ContainerCreating' } }), false);
  assert.deepEqual(seen.events, []);
  seen = podEvents(seen.now, pod({ running: { startedAt: 't1' } }), false);
  assert.deepEqual(seen.events, [{ action: 'start' }]);
  const again = podEvents(seen.now, pod({ running: { startedAt: 't1' } }), false);
  assert.deepEqual(again.events, [], 'an unrelated update says nothing');
  const crashed = podEvents(seen.now, pod({ terminated: { exitCode: 3 } }, {}, 0), false);
  assert.deepEqual(crashed.events, [{ action: 'die', exitCode: 3 }]);
  const restarted = podEvents(crashed.now, pod({ running: { startedAt: 't2' } }, {}, 1), false);
  assert.deepEqual(restarted.events, [{ action: 'start' }]);
  const draining = podEvents(restarted.now, pod({ running: { startedAt: 't2' } }, { deletionTimestamp: 'now' }), false);
  assert.deepEqual(draining.events, [{ action: 'kill' }], 'asked to stop: routers drop it while it still serves');
  const still = podEvents(draining.now, pod({ running: { startedAt: 't2' } }, { deletionTimestamp: 'now' }), false);
  assert.deepEqual(still.events, []);
  const ended = podEvents(still.now, pod({ terminated: { exitCode: 0 } }, { deletionTimestamp: 'now' }), false);
  assert.deepEqual(ended.events, [{ action: 'die', exitCode: 0 }], 'its end, with the exit code');
  assert.deepEqual(podEvents(ended.now, null, true).events, [], 'its deletion afterwards says nothing more');
  const gone = podEvents(draining.now, null, true);
  assert.deepEqual(gone.events, [{ action: 'die' }], 'deleted before its end was seen: a death without a code');
  assert.deepEqual(
    podEvents(undefined, pod({ waiting: { reason: 'ContainerCreating' } }, { deletionTimestamp: 'now' }), false).events,
    [],
    'never ran: nothing',
  );
});

const set = (annotations: Record<string, string> = {}, replicas = 1) => ({
  kind: 'ReplicaSet',
  metadata: { name: 'o', namespace: 'ns', uid: 's', annotations },
  spec: { replicas, template: { spec: { containers: [{ ports: [{ containerPort: 5000 }] }] } } },
});

test('process state: pending counts as starting, a bad image name as dead, a replacement pod as a restart', () => {
  const running = {
    ...pod({ running: { startedAt: 't' } }),
    status: { podIP: '10.9.0.5', containerStatuses: [{ restartCount: 0, state: { running: { startedAt: 't' } } }] },
  };
  const s = stateOf(set({ 'yunbang.io/first-pod': 'p' }), running, null);
  assert.equal(s.running, true);
  assert.deepEqual(s.address, { host: '10.9.0.5', port: 5000 });
  assert.equal(s.restarts, 0);
  assert.equal(stateOf(set({ 'yunbang.io/first-pod': 'other' }), running, null).restarts, 1, 'a drained-and-moved pod is a restart');
  assert.equal(stateOf(set(), pod({ waiting: { reason: 'ContainerCreating' } }), null).running, true);
  assert.equal(stateOf(set(), pod({ waiting: { reason: 'InvalidImageName' } }), null).running, false);
  assert.equal(stateOf(set(), pod({ waiting: { reason: 'ImagePullBackOff' } }), null).running, true, 'a pull is retried: still starting');
  const loop = stateOf(set(), pod({ waiting: { reason: 'CrashLoopBackOff' } }, {}, 4), null);
  assert.deepEqual([loop.running, loop.restarting, loop.restarts], [false, true, 4]);
  assert.deepEqual([stateOf(set({}, 0), undefined, null).running, stateOf(set({}, 0), undefined, null).exitCode], [false, 0], 'a paused service');
});

test('exec: the exit code comes from the status message; env and user are wrapped around the command', () => {
  assert.equal(exitCodeOfStatus('{"status":"Success"}'), 0);
  assert.equal(exitCodeOfStatus('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'), 3);
  assert.equal(exitCodeOfStatus('not json'), null);
  assert.deepEqual(execCommand(['psql'], { PGPASSWORD: 'x' }, 'postgres'), [
    'setpriv',
    '--reuid=postgres',
    '--regid=postgres',
    '--init-groups',
    '--',
    'env',
    'PGPASSWORD=x',
    'psql',
  ]);
  assert.deepEqual(execCommand(['true']), ['true']);
});

test('the isolation policy admits each node and its pod-network gateway', () => {
  assert.deepEqual(
    nodeSources({
      items: [
        {
          spec: { podCIDR: '10.244.0.0/24' },
          status: {
            addresses: [
              { type: 'InternalIP', address: '10.77.0.1' },
              { type: 'Hostname', address: 'n1' },
            ],
          },
        },
        { spec: { podCIDRs: ['10.244.1.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '10.77.0.2' }] } },
      ],
    }),
    ['10.244.0.1/32', '10.244.1.1/32', '10.77.0.1/32', '10.77.0.2/32'],
  );
});

test("readiness: the app's first HTTP health check of the web type becomes an HTTP probe; otherwise a TCP connect", () => {
  const probe = (path?: string) =>
    (
      podSpec({ image: 'i', args: undefined, port: 5000, ...(path ? { readinessPath: path } : {}), caps: [], hostAliases: [], restartPolicy: 'Always' })
        .containers as Array<{ readinessProbe: unknown }>
    )[0]!.readinessProbe as Record<string, unknown>;
  assert.deepEqual(probe('/health').httpGet, { path: '/health', port: 5000 });
  assert.deepEqual(probe().tcpSocket, { port: 5000 });
});

test('an alias that is a DNS label names its Service (the cluster DNS resolves it); others get a hashed name', () => {
  assert.equal(aliasServiceName('a-two'), 'a-two');
  assert.match(aliasServiceName('hello.worker'), /^a-hello-worker-[0-9a-f]{8}$/);
  assert.match(aliasServiceName('9lives'), /^a-9lives-[0-9a-f]{8}$/);
});
