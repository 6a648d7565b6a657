// Bench-only entry: starts the router with options given as JSON in argv[2] (so the bench can vary tunables
// that have no YB_* setting, such as access-log sampling) and prints READY <port> once it serves.
import pino from 'pino';
import { startRouter } from '../../src/router/router.js';
import { createRouterLogger } from '../../src/router/access-log.js';
import type { RouterOptions } from '../../src/router/options.js';

const opts = JSON.parse(process.argv[2]!) as RouterOptions;
const { log, lines, flushSync } =
  opts.logLevel === 'silent'
    ? { log: pino({ level: 'silent' }), lines: undefined, flushSync: () => undefined }
    : createRouterLogger(opts.logLevel, { component: 'router' });
const router = await startRouter(opts, log, lines);
process.stderr.write(`READY ${router.addresses().http.port}\n`);
const stop = () => void router.close().then(() => (flushSync(), process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
