// SessionTickets (tls-tickets.ts): which way a proxy process's tickets go. Resumption itself, renewal and rotation
// are proven against a real two-worker router in test/integration/router/tls-sessions.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:tls';
import { SessionTickets, TICKET_KEY_BYTES } from '../../../src/router/tls-tickets.js';

test("this Node has the ticket key callback the router relies on, and install takes the server's tickets over", () => {
  const server = createServer({});
  const context = (server as unknown as { _sharedCreds: { context: { onticketkeycallback?: unknown } } })._sharedCreds.context;
  assert.equal(new SessionTickets().install(server), true);
  assert.equal(typeof context.onticketkeycallback, 'function');
});

test('without the callback, keys go to setTicketKeys: the current one at install, each new one after', () => {
  const given: Buffer[] = [];
  const server = { setTicketKeys: (k: Buffer) => given.push(Buffer.from(k)) } as unknown as Server;
  const tickets = new SessionTickets();
  assert.equal(tickets.install(server), false);
  assert.equal(given.length, 1);
  assert.equal(given[0]!.length, TICKET_KEY_BYTES);
  const next = randomBytes(TICKET_KEY_BYTES);
  tickets.setKey(next);
  tickets.setKey(next); // the same key again (a worker told twice) changes nothing
  assert.deepEqual(given.slice(1), [next]);
});
