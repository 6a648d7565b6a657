// Entry of a router cluster worker: one proxy process fed with snapshots by the primary over IPC.
import { createRouterLogger } from './access-log.js';
import { startProxyProcess } from './proxy-process.js';
import { WORKER_OPTIONS_ENV, type FromWorker, type ToWorker } from './workers.js';
import type { RouterOptions } from './options.js';

const raw = process.env[WORKER_OPTIONS_ENV];
if (!raw || !process.send) throw new Error('workers-main runs only as a yb-router cluster worker');
const opts = JSON.parse(raw) as RouterOptions;
const { log, lines, flushSync } = createRouterLogger(opts.logLevel, { component: 'router', router: opts.id, pid: process.pid });
const send = (m: FromWorker) => process.send!(m);

// SIGTERM/SIGINT go to the whole process group; the primary decides when workers stop.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

// The ticket key (with TLS) comes first, then the whole snapshot; messages are handled in order, so nothing is
// missed meanwhile.
let ticketKey: Buffer | undefined;
const initial = await new Promise<Extract<ToWorker, { t: 'snapshot' }>>((resolve) => {
  const first = (m: ToWorker) => {
    if (m.t === 'ticket-key') ticketKey = Buffer.from(m.key, 'base64');
    else if (m.t === 'snapshot') process.off('message', first), resolve(m);
  };
  process.on('message', first);
  send({ t: 'hello' });
});
const queued: ToWorker[] = [];
const queue = (m: ToWorker) => queued.push(m);
process.on('message', queue);
const proc = await startProxyProcess(opts, log, { ...initial, ticketKey }, lines);
process.off('message', queue);
const handle = (m: ToWorker) => {
  if (m.t === 'snapshot') {
    proc.apply(m.delta, m.revision);
    send({ t: 'applied', revision: m.revision });
  } else if (m.t === 'ticket-key') proc.setTicketKey(Buffer.from(m.key, 'base64'));
  else if (m.t === 'metrics') send({ t: 'metrics', id: m.id, snapshot: proc.metrics.snapshot() });
  else if (m.t === 'shutdown') {
    void proc.close(m.graceMs).finally(() => {
      flushSync();
      process.disconnect();
      process.exit(0);
    });
  }
};
for (const m of queued) handle(m);
process.on('message', handle);
// The primary going away (even by SIGKILL) must not leave a worker serving a table nobody updates.
process.on('disconnect', () => void proc.close(opts.shutdownGraceMs).finally(() => process.exit(0)));
send({ t: 'listening' });
send({ t: 'applied', revision: Math.max(initial.revision, proc.table().revision) });
