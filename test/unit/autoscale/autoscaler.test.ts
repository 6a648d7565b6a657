// The autoscaler's pass (src/autoscale/autoscaler.ts) with an in-memory store, a fake deploy queue and fake router
// readings: it scales through the queue and records the change with its metric, records a "would, but" once, leaves a
// stopped app and an app with a deploy in progress alone, and drops a decision that went stale in the app's turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Autoscaler, AUTOSCALER_USER } from '../../../src/autoscale/autoscaler.js';
import type { AutoscalePolicy } from '../../../src/autoscale/policy.js';
import type { AppRecord, AppRecords, FormationRecord } from '../../../src/release/app-records.js';
import type { Point } from '../../../src/metrics/series.js';
import { onPlatformEvent } from '../../../src/logs/platform-events.js';
import { listEvents } from '../../../src/auth/audit.js';
import { createLogger } from '../../../src/shared/logger.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const LE = [0.1, 0.25, 0.5, 1, Infinity];
const S = 1000;
const T0 = Date.parse('2026-12-05T10:00:00Z');

/** Readings every 5 s for 60 s before `now`, every request taking `ms`. */
function readings(now: number, rps: number, ms: number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i <= 12; i++) {
    const n = Math.round(rps * 5 * i);
    out.push({ t: now - (12 - i) * 5 * S, router: { byClass: [0, n, 0, 0, 0], le: LE, buckets: LE.map((le) => (le * 1000 >= ms ? n : 0)), count: n, sum: 0 } });
  }
  return out;
}

function setup(opts: { stopped?: boolean; quantity?: number } = {}) {
  const store = new MemoryStore();
  const app: AppRecord = { name: 'shop', team: 'team-a', createdAt: '', createdBy: 'olga', currentRelease: 1, ...(opts.stopped ? { stopped: true } : {}) };
  let formation: FormationRecord[] = [{ type: 'web', quantity: opts.quantity ?? 1 }];
  const apps = { listApps: async () => [app], getFormation: async () => formation.map((f) => ({ ...f })) } as unknown as AppRecords;
  const calls: string[] = [];
  let busy = false;
  let now = T0;
  let ms = 900;
  /** Runs before the guard, as another change in the queue ahead of the autoscaler's would. */
  let ahead: (() => unknown) | undefined;
  const deployer = {
    busy: () => busy,
    scale: async (_app: string, updates: Array<{ type: string; quantity?: number }>, _out: unknown, guard?: (f: FormationRecord[]) => Promise<void>) => {
      await ahead?.();
      await guard?.(formation);
      formation = formation.map((f) => (f.type === updates[0]!.type ? { ...f, quantity: updates[0]!.quantity! } : f));
      calls.push(`scale ${updates[0]!.type}=${updates[0]!.quantity}`);
      return formation;
    },
  };
  const a = new Autoscaler({
    store: store.asStore(),
    apps,
    deployer: deployer as never,
    points: () => readings(now, 10, ms),
    log: createLogger('test', 'silent'),
    tuning: { windowMs: 60 * S, sustainMs: 30 * S, upCooldownMs: 60 * S, downCooldownMs: 300 * S },
    intervalMs: 15 * S,
    now: () => now,
  });
  return {
    store,
    app,
    a,
    calls,
    quantity: () => formation[0]!.quantity,
    setBusy: (b: boolean) => (busy = b),
    advance: (ms_: number) => (now += ms_),
    setLatency: (v: number) => (ms = v),
    setAhead: (f: (() => unknown) | undefined) => (ahead = f),
    setQuantity: (q: number) => (formation = [{ type: 'web', quantity: q }]),
  };
}

const lines: string[] = [];
onPlatformEvent((app, proc, message) => lines.push(`${app} ${proc}: ${message}`));

test('a pass scales up through the deploy queue and records the decision with its metric; the cooldown is recorded once', async () => {
  const t = setup();
  await t.a.set(t.app, 'web', { min: 1, max: 4, p95Ms: 300 }, 'olga');
  await t.a.tick();
  assert.deepEqual(t.calls, ['scale web=2']);
  const [up] = await listEvents(t.store.asStore(), ['team-a']);
  assert.equal(up!.user, AUTOSCALER_USER);
  assert.equal(up!.action, 'autoscale.up');
  assert.deepEqual([up!.detail!.from, up!.detail!.to, (up!.detail!.metric as { name: string }).name], [1, 2, 'p95Ms']);
  assert.ok(lines.some((l) => /^shop autoscale: Autoscaled web from 1 to 2: p95 /.test(l)));

  // Still slow 40 s later: the window starts at the change, so nothing is decided until 30 s are measured; then the cooldown.
  t.advance(40 * S);
  await t.a.tick();
  t.advance(5 * S);
  await t.a.tick();
  assert.deepEqual(t.calls, ['scale web=2'], 'within the up cooldown');
  const actions = (await listEvents(t.store.asStore(), ['team-a'])).map((e) => e.action);
  assert.deepEqual(actions.filter((x) => x === 'autoscale.cooldown').length, 1, 'recorded once while it lasts');
  const [view] = await t.a.list('shop');
  assert.equal(view!.quantity, 2);
  assert.equal(view!.lastRecorded!.reason, 'cooldown');
  t.advance(30 * S);
  await t.a.tick();
  assert.deepEqual(t.calls, ['scale web=2', 'scale web=4']);
});

test('a stopped app and an app with a deploy in progress are left alone', async () => {
  const stopped = setup({ stopped: true });
  await stopped.a.set(stopped.app, 'web', { min: 2, max: 4, p95Ms: 300 }, 'olga');
  await stopped.a.tick();
  assert.deepEqual(stopped.calls, []);
  const t = setup();
  await t.a.set(t.app, 'web', { min: 1, max: 4, p95Ms: 300 }, 'olga');
  t.setBusy(true);
  await t.a.tick();
  assert.deepEqual(t.calls, []);
  t.setBusy(false);
  await t.a.tick();
  assert.deepEqual(t.calls, ['scale web=2']);
});

test('a decision gone stale in the app turn (a ps:scale ahead of it, the policy turned off) is dropped', async () => {
  const t = setup();
  await t.a.set(t.app, 'web', { min: 1, max: 4, p95Ms: 300 }, 'olga');
  t.setAhead(() => t.setQuantity(3));
  await t.a.tick();
  assert.deepEqual(t.calls, []);
  assert.equal(t.quantity(), 3);
  t.setAhead(undefined);
  t.setQuantity(1);
  t.setAhead(() => t.a.off('shop', 'web', 'by hand'));
  await t.a.tick();
  assert.deepEqual(t.calls, []);
  assert.deepEqual(await t.a.list('shop'), []);
  assert.equal(await t.store.get<AutoscalePolicy>(t.store.keys.autoscale('shop', 'web')), null);
});

test('setting a policy for a type the app does not run is refused in one sentence', async () => {
  const t = setup();
  await assert.rejects(t.a.set(t.app, 'worker', { min: 1, max: 2, rps: 5 }, 'olga'), /^YbError: shop has no process type "worker" \(it has: web\)$/);
  await assert.rejects(t.a.set(t.app, 'web', { min: 3, max: 2, rps: 5 }, 'olga'), /--min \(3\) must not be above --max \(2\)/);
});
