// Access-log micro-benchmark: CPU per line of the router's access-log writer (src/router/access-log.ts) writing to
// a real file, against a reference in the same run: a fixed line of the same length through the same batching and
// writes (what any log costs). With --baseline, the writer of another checkout too (A/B in one run). Not a test.
//   node --import tsx bench/router/access-log.ts [--lines 200000] [--rounds 5] [--baseline <checkout>]…
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AccessEntry } from '../../src/router/proxy.js';
import { median } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    baseline: { type: 'string', multiple: true }, // other checkouts, each measured in the same rounds
    child: { type: 'string' }, // internal: the module to measure, run with stdout on the log file
  },
});
const LINES = Number(args.lines);
const here = new URL('.', import.meta.url).pathname;

// Paths and request ids made beforehand, so that the loop measures the writer, not the making of its input; every
// 16th path has bytes a latin1-decoded head holds for UTF-8 (escaped in the log).
const PATHS = Array.from({ length: 4096 }, (_, i) => (i % 16 === 0 ? `/items/${i}?q=caf\u00c3\u00a9` : `/items/${i}?page=${i % 7}`));
const IDS = Array.from({ length: 4096 }, (_, i) => `6f1c2a3b-91d0-4e2f-8a7b-${(0x100000000000 + i * 7919).toString(16).slice(1)}`);

/** Entries as the fast path makes them: a fresh object per request. */
function entry(i: number): AccessEntry {
  return {
    app: 'bench',
    method: 'GET',
    host: 'bench.localhost',
    path: PATHS[i & 4095]!,
    status: 200,
    duration: 0.25 + (i % 7) * 0.013,
    bytes: 2 + (i % 3),
    upstream: '127.0.0.1:40123',
    requestId: IDS[i & 4095]!,
  };
}

/** CPU nanoseconds (user, system) per call of `fn` over LINES calls. */
function cpuPerCall(fn: (i: number) => void, flush: () => void): { user: number; sys: number } {
  const t0 = process.cpuUsage();
  for (let i = 0; i < LINES; i++) fn(i);
  flush();
  const t = process.cpuUsage(t0);
  return { user: (t.user * 1000) / LINES, sys: (t.system * 1000) / LINES };
}

// The child: stdout is the log file, as ybd runs the router. Prints one JSON result on stderr.
if (args.child) {
  const mod = (await import(args.child)) as Record<string, unknown>;
  const base = { component: 'router', router: 'bench-host-1', pid: process.pid };
  // The current API (AccessLines) or the one before it (writeLine): a baseline may be either.
  const logger = (mod.createRouterLogger as (l: string, b: object) => Record<string, unknown>)('info', base);
  const make = mod.accessLogger as (log: unknown, sink: unknown, sample: number, base: object) => (e: AccessEntry) => void;
  const write = make(logger.log, logger.lines ?? logger.writeLine, 1, base);
  const flushSync = logger.flushSync as () => void;
  // The reference: one fixed line of the same length, through the same batching and writes.
  const fixed = JSON.stringify({ level: 30, time: new Date().toISOString(), ...base, kind: 'access', ...entry(1), msg: 'request' }) + '\n';
  const bytes = Buffer.from(fixed, 'latin1');
  const lines = logger.lines as { buf: Buffer; len: number; room(n: number): boolean; added(): void } | undefined;
  const writeLine = logger.writeLine as ((l: string) => void) | undefined;
  const reference = lines
    ? () => {
        lines.room(bytes.length);
        lines.len += bytes.copy(lines.buf, lines.len);
        lines.added();
      }
    : () => writeLine!(fixed);
  // Warm-up so both are optimised before they are measured.
  for (let i = 0; i < 50_000; i++) write(entry(i)), reference();
  flushSync();
  const logger_ = cpuPerCall((i) => write(entry(i)), flushSync);
  const ref = cpuPerCall(reference, flushSync);
  const objects = cpuPerCall(
    (i) => void entry(i),
    () => undefined,
  );
  process.stderr.write(`${JSON.stringify({ logger: logger_, reference: ref, entryOnly: objects, lineBytes: fixed.length })}\n`);
  process.exit(0);
}

// The log in memory (tmpfs) where there is one: a disk's writeback throttling would make the rows depend on how
// much was written before them.
const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'yb-alog-bench-'));
const targets: Array<[string, string]> = [['this checkout', join(here, '..', '..', 'src', 'router', 'access-log.ts')]];
for (const dir of args.baseline ?? []) targets.push([dir, join(dir, 'src', 'router', 'access-log.ts')]);
type Cpu = { user: number; sys: number };
const results = new Map<string, Array<{ logger: Cpu; reference: Cpu; entryOnly: Cpu }>>();
const load0 = loadavg()[0]!.toFixed(1);
for (let round = 0; round < Number(args.rounds); round++) {
  for (const [name, mod] of targets) {
    const file = join(work, `${name.replace(/\W+/g, '_')}-${round}.log`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'access-log.ts'), '--lines', String(LINES), '--child', mod], {
      cwd: name === 'this checkout' ? join(here, '..', '..') : name,
      stdio: ['ignore', openSync(file, 'a'), 'pipe'],
      encoding: 'utf8',
    });
    const line = r.stderr.split('\n').find((l) => l.startsWith('{"logger"'));
    if (r.status !== 0 || !line) throw new Error(`${name}: exited ${r.status}: ${r.stderr}`);
    const got = readFileSync(file, 'latin1').split('\n').length - 1;
    if (got < 2 * LINES + 100_000) throw new Error(`${name}: ${got} lines in the log, expected ${2 * LINES + 100_000}`);
    results.set(name, [...(results.get(name) ?? []), JSON.parse(line) as { logger: Cpu; reference: Cpu; entryOnly: Cpu }]);
    rmSync(file);
  }
}
console.log(`\n${LINES} lines per measurement, ${args.rounds} rounds (median), load average ${load0} → ${loadavg()[0]!.toFixed(1)}\n`);
console.log('| writer | ns/line CPU (user + sys) | reference: fixed line, same batching | writer − reference | writer ÷ reference | entry objects alone |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const all = (c: Cpu) => c.user + c.sys;
for (const [name] of targets) {
  const rs = results.get(name)!;
  const m = (f: (r: { logger: Cpu; reference: Cpu; entryOnly: Cpu }) => number) => median(rs.map(f)).toFixed(0);
  const r2 = (f: (r: { logger: Cpu; reference: Cpu }) => number) => median(rs.map(f)).toFixed(2);
  console.log(
    `| ${name} | ${m((r) => all(r.logger))} (${m((r) => r.logger.user)} + ${m((r) => r.logger.sys)}) | ${m((r) => all(r.reference))} (${m((r) => r.reference.user)} + ${m((r) => r.reference.sys)}) | ${m((r) => all(r.logger) - all(r.reference))} | ${r2((r) => all(r.logger) / all(r.reference))} | ${m((r) => all(r.entryOnly))} |`,
  );
}
rmSync(work, { recursive: true, force: true });
