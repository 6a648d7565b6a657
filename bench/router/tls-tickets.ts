// Bench: what renewing TLS 1.3 session tickets on resumption (src/router/tls-tickets.ts, SessionTickets) changes for a
// bare node:tls server answering a new connection per request (wrk -H 'Connection: close', which, like OpenSSL
// clients, offers the session of its previous connection). Two servers in child processes, same certificate: node's
// own tickets (one key, none renewed) and SessionTickets; rounds alternate them. Prints req/s, CPU per connection of
// the server and how many handshakes resumed. Needs /usr/bin/wrk and openssl; listens on 127.0.0.1 only.
//
//   node --import tsx bench/router/tls-tickets.ts [--rounds 3] [--duration 4]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { SessionTickets } from '../../src/router/tls-tickets.js';
import { splitLines } from '../../src/shared/line-splitter.js';
import { cpuSeconds } from '../proc.js';
import { median } from '../stats.js';
import { writeSelfSigned } from './self-signed.js';

const MODES = { 'node:tls tickets': 'node', SessionTickets: 'renew' } as const;

if (process.argv[2] === 'serve') {
  // Child: a TLS server answering every request on the connection, counting resumed handshakes (SIGUSR2 prints them).
  const [, , , mode, dir] = process.argv;
  const server = createServer({ cert: readFileSync(join(dir!, 'tls.crt')), key: readFileSync(join(dir!, 'tls.key')) }, (socket: TLSSocket) => {
    counts.handshakes++;
    if (socket.isSessionReused()) counts.resumed++;
    socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    socket.on('error', () => socket.destroy());
  });
  const counts = { handshakes: 0, resumed: 0 };
  if (mode === 'renew') new SessionTickets().install(server);
  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify(counts)}\n`));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
} else {
  const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '4' } } });
  const dir = mkdtempSync(join(tmpdir(), 'yb-bench-tickets-'));
  writeSelfSigned(dir, 'localhost');
  const children: ChildProcess[] = [];
  /** The child's stdout lines, one per call, in order. */
  const lines = (child: ChildProcess) => {
    const waiting: Array<(line: string) => void> = [];
    void splitLines(child.stdout!, (line) => waiting.shift()?.(line));
    return () => new Promise<string>((resolve) => waiting.push(resolve));
  };
  const servers: Record<string, { child: ChildProcess; port: number; next: () => Promise<string> }> = {};
  for (const [name, mode] of Object.entries(MODES)) {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'serve', mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const next = lines(child);
    servers[name] = { child, port: Number(await next()), next };
  }
  const wrk = (port: number, seconds: number) => {
    const out = execFileSync('wrk', ['-t1', '-c50', `-d${seconds}s`, '-H', 'Connection: close', `https://127.0.0.1:${port}/`], { encoding: 'utf8' });
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), total: Number(/(\d+) requests in/.exec(out)?.[1]) };
  };
  const counts = async (s: (typeof servers)[string]) => {
    const line = s.next();
    s.child.kill('SIGUSR2');
    return JSON.parse(await line) as { handshakes: number; resumed: number };
  };
  try {
    const samples: Record<string, Array<{ rps: number; cpuUs: number; resumed: number }>> = {};
    for (const s of Object.values(servers)) wrk(s.port, 1); // warm-up
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const [name, s] of Object.entries(servers)) {
        const before = await counts(s);
        const c0 = cpuSeconds(s.child.pid!);
        const r = wrk(s.port, Number(args.duration));
        const c1 = cpuSeconds(s.child.pid!);
        const after = await counts(s);
        const cpu = c1.user + c1.system - c0.user - c0.system;
        (samples[name] ??= []).push({
          rps: r.rps,
          cpuUs: (cpu * 1e6) / r.total,
          resumed: (after.resumed - before.resumed) / (after.handshakes - before.handshakes),
        });
      }
    }
    console.log(
      `\nnew TLS connection per request, wrk -t1 -c50 -d${args.duration}s, median of ${args.rounds} rounds, ${new Date().toISOString()}, ${process.version}`,
    );
    console.log('| server tickets | req/s | server CPU µs per connection | handshakes resumed |');
    console.log('|---|---:|---:|---:|');
    for (const [name, ss] of Object.entries(samples)) {
      console.log(
        `| ${name} | ${median(ss.map((s) => s.rps)).toFixed(0)} | ${median(ss.map((s) => s.cpuUs)).toFixed(0)} | ${(median(ss.map((s) => s.resumed)) * 100).toFixed(1)} % |`,
      );
    }
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
