// Entry of a router cluster worker: one proxy process fed with snapshots by the primary over IPC.
import { createRouterLogger } from './access-log.js';
import { startProxyProcess } from './proxy-process.js';
import { WORKER_OPTIONS_ENV, type FromWorker, type ToWorker } from './workers.js';
import type { RouterOptions } from './options.js';

const raw = process.env[WORKER_OPTIONS_ENV];
if (!raw || !process.send) throw new Error('workers-main runs only as a yb-router cluster worker');
const { initial, ...opts } = JSON.parse(raw) as RouterOptions & { initial: { revision: number; kvs: Array<[string, string]> } };
const log = createRouterLogger(opts.logLevel, { component: 'router', router: opts.id, pid: process.pid });
const send = (m: FromWorker) => process.send!(m);

// SIGTERM/SIGINT go to the whole process group; the primary decides when workers stop.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

const proc = await startProxyProcess(opts, log, initial);
process.on('message', (m: ToWorker) => {
  if (m.t === 'snapshot') {
    proc.apply(m.kvs, m.revision);
    send({ t: 'applied', revision: m.revision });
  } else if (m.t === 'metrics') send({ t: 'metrics', id: m.id, snapshot: proc.metrics.snapshot() });
  else if (m.t === 'shutdown') {
    void proc.close(m.graceMs).finally(() => {
      log.flush();
      process.disconnect();
      process.exit(0);
    });
  }
});
// The primary going away (even by SIGKILL) must not leave a worker serving a table nobody updates.
process.on('disconnect', () => void proc.close(opts.shutdownGraceMs).finally(() => process.exit(0)));
send({ t: 'listening', port: proc.server.address().port });
send({ t: 'applied', revision: initial.revision });
