// Build slots: the service order between teams (pure) and the semaphore's queue, places and abandonment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceOrder, Slots, type Place } from '../../../src/build/slots.js';

const w = (seq: number, team: string) => ({ seq, team });

test('serviceOrder: one team alone is served in arrival order', () => {
  const order = serviceOrder([w(2, 'a'), w(0, 'a'), w(1, 'a')], new Map());
  assert.deepEqual(
    order.map((x) => x.seq),
    [0, 1, 2],
  );
});

test('serviceOrder: a team that queued many first gets one turn per round, not the whole queue', () => {
  const waiters = [w(0, 'big'), w(1, 'big'), w(2, 'big'), w(3, 'big'), w(4, 'small'), w(5, 'other')];
  assert.deepEqual(
    serviceOrder(waiters, new Map()).map((x) => `${x.team}${x.seq}`),
    ['big0', 'small4', 'other5', 'big1', 'big2', 'big3'],
  );
});

test('serviceOrder: a team already running builds waits behind a team that runs none', () => {
  const waiters = [w(0, 'busy'), w(1, 'idle')];
  assert.deepEqual(
    serviceOrder(waiters, new Map([['busy', 2]])).map((x) => x.team),
    ['idle', 'busy'],
  );
});

/** Acquires a slot for `team` and records when it is granted. */
function acquire(slots: Slots, team: string, log: string[], name: string, signal?: AbortSignal, places?: Place[]) {
  const p = slots.acquire({ team, signal, onPlace: (pl) => places?.push(pl) });
  return p.then((release) => {
    log.push(name);
    return release;
  });
}

test('Slots: at most N at once; a freed slot goes to a team that runs fewer builds before an earlier arrival', async () => {
  const slots = new Slots(2);
  const log: string[] = [];
  const a1 = await acquire(slots, 'a', log, 'a1');
  const a2 = await acquire(slots, 'a', log, 'a2');
  const a3 = acquire(slots, 'a', log, 'a3');
  const a4 = acquire(slots, 'a', log, 'a4');
  const b1 = acquire(slots, 'b', log, 'b1');
  assert.equal(slots.inUse, 2);
  assert.equal(slots.queued, 3);
  a1();
  const rb1 = await b1; // team a still runs one, team b none: b goes first although it came last
  assert.deepEqual(log, ['a1', 'a2', 'b1']);
  a2();
  const ra3 = await a3;
  rb1();
  const ra4 = await a4;
  assert.deepEqual(log, ['a1', 'a2', 'b1', 'a3', 'a4']);
  ra3();
  ra4();
  assert.equal(slots.inUse, 0);
  assert.equal(slots.queued, 0);
});

test('Slots: a waiter is told its place when it queues and each time it changes', async () => {
  const slots = new Slots(2);
  const log: string[] = [];
  const r1 = await acquire(slots, 'a', log, '1');
  const r2 = await acquire(slots, 'b', log, '2');
  const places: Place[] = [];
  const third = acquire(slots, 'c', log, '3');
  const fourth = acquire(slots, 'd', log, '4', undefined, places);
  assert.deepEqual(places, [{ ahead: 3, position: 2, slots: 2, running: 2 }]);
  r1();
  (await third)();
  r2();
  (await fourth)();
  // After r1 the third got a slot (2 running, 4th first in line); the last step (granted) sends no place.
  assert.deepEqual(
    places.map((p) => p.ahead),
    [3, 2],
  );
});

test('Slots: a waiter whose signal aborts leaves the queue, and the one behind moves up', async () => {
  const slots = new Slots(1);
  const log: string[] = [];
  const held = await acquire(slots, 'a', log, 'held');
  const ctl = new AbortController();
  const gone = acquire(slots, 'b', log, 'gone', ctl.signal);
  const places: Place[] = [];
  const stays = acquire(slots, 'c', log, 'stays', undefined, places);
  assert.equal(places.at(-1)?.position, 2);
  ctl.abort();
  await assert.rejects(gone, /abandoned while it waited for a build slot/);
  assert.equal(slots.queued, 1);
  assert.equal(places.at(-1)?.position, 1);
  held();
  (await stays)();
  assert.deepEqual(log, ['held', 'stays']);
  assert.equal(slots.inUse, 0);
});

test('Slots: an already aborted signal is refused at once; releasing twice frees one slot', async () => {
  const slots = new Slots(1);
  await assert.rejects(slots.acquire({ team: 'a', signal: AbortSignal.abort() }), /abandoned/);
  const r = await slots.acquire({ team: 'a' });
  r();
  r();
  assert.equal(slots.inUse, 0);
  const again = await slots.acquire({ team: 'a' });
  assert.equal(slots.inUse, 1);
  again();
});

test('Slots: a size below 1 still runs one build at a time', async () => {
  const slots = new Slots(0);
  assert.equal(slots.size, 1);
  (await slots.acquire({ team: 'a' }))();
});
