// Audit-event retention against the real etcd of a real platform: events older than the retention period and
// beyond the per-team count are pruned in batches, newest kept, neighbouring teams and other keys untouched;
// ybd prunes at start-up with YB_AUDIT_RETENTION_DAYS / YB_AUDIT_MAX_EVENTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { Store } from '../../../src/store/store.js';
import { eventKey, eventsPrefix, type AuditEvent } from '../../../src/auth/audit.js';
import { pruneEvents, eventTeams } from '../../../src/auth/event-retention.js';

const DAY = 24 * 3600_000;
let p: Platform;
let store: Store;

before(async () => {
  p = await startPlatform({ YB_AUDIT_RETENTION_DAYS: '30', YB_AUDIT_MAX_EVENTS: '60' });
  store = new Store([`http://127.0.0.1:${p.env.YB_ETCD_PORT}`], '/yunbang/');
});

after(async () => {
  store?.close();
  await p?.stop();
});

/** Writes `n` events of `team`, the i-th at `fromMs + i` ms (as recordEvent lays them out); returns their keys. */
async function writeEvents(team: string, n: number, fromMs: number): Promise<string[]> {
  const keys: string[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const at = fromMs + i;
      const id = `t${String(i).padStart(5, '0')}`;
      const ev: AuditEvent = { id, at: new Date(at).toISOString(), team, user: 'tester', action: 'test.event', detail: { i } };
      keys.push(eventKey(store, team, at, id));
      return store.put(eventKey(store, team, at, id), ev);
    }),
  );
  return keys.sort();
}

async function keysOf(team: string): Promise<string[]> {
  return (await store.list(eventsPrefix(store, team))).map((e) => e.key);
}

test('old events go, then all but the newest N per team; neighbouring teams and other keys stay', async () => {
  const now = Date.now();
  const oldA = await writeEvents('ret-a', 20, now - 100 * DAY);
  const newA = await writeEvents('ret-a', 30, now - 10 * DAY);
  const oldR = await writeEvents('ret', 5, now - 91 * DAY); // "ret" sorts right next to "ret-a": its prefix must not reach it
  const keptR = await writeEvents('ret', 3, now - 89 * DAY);
  const manyB = await writeEvents('ret-b', 120, now - DAY);
  await store.put('/yunbang/retention-probe/keep', { keep: true });
  await writeEvents('_account', 3, now - 89 * DAY);
  const accountBefore = await keysOf('_account');

  assert.deepEqual((await eventTeams(store)).filter((t) => t.startsWith('ret') || t === '_account').sort(), ['_account', 'ret', 'ret-a', 'ret-b']);
  const r = await pruneEvents(store, { maxAgeDays: 90, maxPerTeam: 100, batch: 7, pauseMs: 0, now });
  assert.deepEqual({ byAge: r.byAge, byCount: r.byCount }, { byAge: oldA.length + oldR.length, byCount: 20 });
  assert.deepEqual(await keysOf('ret-a'), newA);
  assert.deepEqual(await keysOf('ret'), keptR);
  assert.deepEqual(await keysOf('ret-b'), manyB.slice(20), 'the newest 100 are kept');
  assert.deepEqual(await keysOf('_account'), accountBefore);
  assert.deepEqual(await store.get('/yunbang/retention-probe/keep'), { keep: true });

  const again = await pruneEvents(store, { maxAgeDays: 90, maxPerTeam: 100, batch: 7, pauseMs: 0, now });
  assert.deepEqual({ byAge: again.byAge, byCount: again.byCount }, { byAge: 0, byCount: 0 }, 'a second pass finds nothing to do');

  const off = await pruneEvents(store, { maxAgeDays: 0, maxPerTeam: 0, now: now + 1000 * DAY });
  assert.deepEqual({ byAge: off.byAge, byCount: off.byCount }, { byAge: 0, byCount: 0 }, '0 turns both limits off');
});

test('ybd prunes at start-up by YB_AUDIT_RETENTION_DAYS and YB_AUDIT_MAX_EVENTS', async () => {
  const now = Date.now();
  await writeEvents('ret-c', 10, now - 40 * DAY);
  const keptC = await writeEvents('ret-c', 4, now - 20 * DAY);
  const manyD = await writeEvents('ret-d', 75, now - 2 * DAY);
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
  await p.restart();
  store.close();
  store = new Store([`http://127.0.0.1:${p.env.YB_ETCD_PORT}`], '/yunbang/');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [c, d] = [await keysOf('ret-c'), await keysOf('ret-d')];
    if (c.length === keptC.length && d.length === 60) {
      assert.deepEqual(c, keptC);
      assert.deepEqual(d, manyD.slice(15));
      break;
    }
    assert.ok(Date.now() < deadline, `not pruned within 60 s: ret-c ${c.length}, ret-d ${d.length}\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 200)); // polling etcd until the start-up pass is done
  }
  assert.ok((await keysOf('ret-b')).length <= 60, 'every team is held to YB_AUDIT_MAX_EVENTS');
  assert.match(p.output(), /old audit events pruned/);
});
