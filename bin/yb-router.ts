#!/usr/bin/env node
// yb-router: the platform's HTTP router as its own process (docs/architecture.md §2). Reads YB_* settings, routes Host
// names to app endpoints from etcd, and stops gracefully on SIGTERM/SIGINT.
import { hostname } from 'node:os';
import { loadConfig, formatAddr, ConfigError } from '../src/config/load.js';
import { routerOptionsFrom } from '../src/router/options.js';
import { startRouter } from '../src/router/router.js';
import { createRouterLogger } from '../src/router/access-log.js';

/** Time past the drain grace period after which a shutdown that still hangs ends the process. */
const STOP_SLACK_MS = 5000;

async function main(): Promise<number> {
  let opts;
  try {
    opts = routerOptionsFrom(loadConfig(), hostname());
  } catch (err) {
    process.stderr.write(`yb-router: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
  const { log, lines, flushSync } = createRouterLogger(opts.logLevel, { component: 'router', router: opts.id });
  const router = await startRouter(opts, log, lines);
  const a = router.addresses();
  const tls = a.https ? `, https://${formatAddr(a.https)}` : '';
  process.stdout.write(`yb-router listening on http://${formatAddr(a.http)}${tls} (admin http://${formatAddr(a.admin)}), ${opts.workers} worker(s)\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: draining in-flight requests');
      // Draining ends after the grace period; should a close still hang past it (an etcd call, a connection
      // that is never released), the process ends anyway rather than leave its parent waiting.
      setTimeout(() => {
        log.warn({ afterMs: opts.shutdownGraceMs + STOP_SLACK_MS, pending: process.getActiveResourcesInfo() }, 'shutdown did not finish in time; exiting');
        flushSync();
        process.exit(1);
      }, opts.shutdownGraceMs + STOP_SLACK_MS).unref();
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await router.close();
  flushSync();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`yb-router: ${err.message}\n`);
    process.exit(1);
  },
);
