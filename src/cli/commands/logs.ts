// logs: the app's log stream (its processes, the router, the platform), recent lines or a live tail.
import type { Command } from 'commander';
import { CliError, request } from '../client.js';
import { apiToken, apiUrl } from '../credentials.js';
import { requireApp, enc } from '../app-arg.js';
import { c, isTty } from '../output.js';
import { ERRORS } from '../../shared/errors.js';

interface LogsOpts {
  app?: string;
  num: string;
  tail?: boolean;
  ps?: string;
  source?: string;
  json?: boolean;
}

/** Colours the `app[web.1]:` / `router:` / `yb[deploy]:` part of a line (TTY only). */
export function colourLine(line: string): string {
  const m = /^(\S+) (app\[[^\]]*\]|router|yb\[[^\]]*\]):/.exec(line);
  if (!m) return line;
  const who = m[2]!.startsWith('app') ? c.green(m[2]!) : m[2] === 'router' ? c.yellow(m[2]!) : c.bold(m[2]!);
  return `${c.dim(m[1]!)} ${who}${line.slice(m[0].length - 1)}`;
}

export function logsQuery(opts: LogsOpts): string {
  const n = Number(opts.num);
  if (!Number.isInteger(n) || n < 0 || n > 100000) throw new CliError('-n must be a whole number from 0 to 100000', 2);
  if (opts.source && !['app', 'router', 'yb'].includes(opts.source)) throw new CliError(`--source must be app, router or yb (got "${opts.source}")`, 2);
  const q = new URLSearchParams({ lines: String(n) });
  if (opts.tail) q.set('tail', 'true');
  if (opts.ps) q.set('ps', opts.ps);
  if (opts.source) q.set('source', opts.source);
  if (opts.json) q.set('format', 'json');
  return q.toString();
}

async function streamLogs(path: string, colour: boolean): Promise<void> {
  const base = apiUrl();
  const token = apiToken(base);
  const ac = new AbortController();
  process.once('SIGINT', () => {
    ac.abort();
    process.exit(0);
  });
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { headers: { accept: 'text/plain', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: ac.signal });
  } catch (err) {
    throw new CliError(
      `the Yunbang API is not reachable at ${base}`,
      ERRORS.YB_ERR_API_UNREACHABLE.exit,
      'start the platform with "npm start", or set YB_API_URL',
      { cause: err },
    );
  }
  if (!res.ok || !res.body) {
    await request('GET', path); // throws the API's error as a CliError (same message and exit code as other commands)
    throw new CliError(`HTTP ${res.status}`, 1);
  }
  const decoder = new TextDecoder();
  let partial = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = partial + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    if (lines.length) process.stdout.write(lines.map((l) => `${colour ? colourLine(l) : l}\n`).join(''));
  }
  if (partial) process.stdout.write(`${partial}\n`);
  throw new CliError('the log stream was closed by the platform', ERRORS.YB_ERR_API_UNREACHABLE.exit, 'run the command again to resume');
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("show the app's log: output of its processes, router requests and platform events")
    .option('-a, --app <app>', 'app (default: from the "yb" git remote)')
    .option('-n, --num <n>', 'number of recent lines', '100')
    .option('-t, --tail', 'keep following new lines (Ctrl-C to stop)')
    .option('--ps <process>', 'only this process type (web) or process (web.1)')
    .option('--source <source>', 'only lines from app, router or yb (the platform)')
    .option('--json', 'one JSON object per line: {time, source, process, message}')
    .addHelpText(
      'after',
      [
        '',
        'Lines look like:',
        '  2026-11-26T00:00:00.000Z app[web.1]: listening on 5000',
        '  2026-11-26T00:00:01.000Z router: method=GET path=/ host=hello.localhost status=200 duration=3ms bytes=12 upstream=127.0.0.1:32768',
        '  2026-11-26T00:00:02.000Z yb[deploy]: Release v3 created by admin: Deploy 1a2b3c4',
        '',
        'Examples:',
        '  yb logs -a hello',
        '  yb logs -a hello -n 500 --source router',
        '  yb logs -a hello -t --ps web',
        '  yb logs -a hello --json | jq .message',
      ].join('\n'),
    )
    .action(async (opts: LogsOpts) => {
      const app = requireApp(opts.app);
      const path = `/apps/${enc(app)}/logs?${logsQuery(opts)}`;
      const colour = isTty && !opts.json;
      if (opts.tail) return streamLogs(path, colour);
      const { data } = await request<unknown>('GET', path);
      const text = typeof data === 'string' ? data : '';
      if (opts.json) {
        // NDJSON; a single line already arrives parsed (the client parses JSON bodies)
        const rows =
          typeof data === 'string'
            ? text
                .split('\n')
                .filter(Boolean)
                .map((r) => JSON.parse(r) as unknown)
            : data === null
              ? []
              : [data];
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        colour
          ? text
              .split('\n')
              .map((l) => (l ? colourLine(l) : l))
              .join('\n')
          : text,
      );
    });
}
