// Starts a systemd service unit's ExecStart= the way systemd would, for install tests where systemd cannot be PID 1:
// a clean environment (PATH, then Environment=, then EnvironmentFile= overriding it), WorkingDirectory=, the command
// split with systemd's quoting and ${VAR}/$VAR expansion (no shell), StandardOutput/StandardError= append:/file:
// paths, and a stop like KillMode= (SIGTERM to the main process, SIGKILL to what is left after TimeoutStopSec=).
// Paths the unit names are looked up under `root` (an install made with scripts/install.sh --root), as systemd's
// RootDirectory= would, except that a program absent there is the host's (Debian's etcd, which the install does not copy).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where systemd reads the units of locally installed programs, relative to the root. */
export const UNIT_DIR = 'usr/local/lib/systemd/system';

/** The [Section] → key → values of a unit file (a key may repeat; an empty assignment resets it, as in systemd). */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const out: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = new Map();
      out.set(head[1] as string, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '') section.set(key, []);
    else section.set(key, [...(section.get(key) ?? []), value]);
  }
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ', s: ' ' };

/** Splits a command line or an Environment= value into words: "…" and '…' quote, backslash escapes (systemd.syntax(7)). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
    if (i >= s.length) break;
    let word = '';
    while (i < s.length && !/\s/.test(s[i] as string)) {
      const c = s[i] as string;
      if (c === '"' || c === "'") {
        let end = i + 1;
        while (end < s.length && s[end] !== c) end += c === '"' && s[end] === '\\' ? 2 : 1;
        if (end >= s.length) throw new Error(`unbalanced quotes in: ${s}`);
        let inner = s.slice(i + 1, end);
        if (c === '"') inner = inner.replace(/\\(.)/g, (_m, e: string) => ESCAPES[e] ?? e);
        word += inner;
        i = end + 1;
      } else if (c === '\\' && i + 1 < s.length) {
        word += ESCAPES[s[i + 1] as string] ?? s[i + 1];
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** An EnvironmentFile= (systemd.exec(5)): KEY=VALUE lines, # and ; comments, optional quotes, `\` continuations. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.replace(/\\\n/g, '').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not an environment file line: ${line}`);
    let v = m[2] as string;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(.)/g, (_x, e: string) => e);
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    env[m[1] as string] = v;
  }
  return env;
}

/** ExecStart= words with ${VAR} replaced inside a word and a lone $VAR split on whitespace, as systemd does. */
export function expandCommand(words: string[], env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const w of words) {
    const lone = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (lone) out.push(...(env[lone[1] as string] ?? '').split(/\s+/).filter(Boolean));
    else out.push(w.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => env[n] ?? '').replaceAll('$$', '$'));
  }
  return out;
}

export interface RunningUnit {
  name: string;
  child: ChildProcess;
  /** Stops it as `systemctl stop` would; resolves once the main process is gone and its group killed. */
  stop(): Promise<void>;
  /** Whether the main process exited by itself (systemd would then apply Restart=). */
  exited(): boolean;
}

const SUPPORTED = new Set([
  'Type',
  'Environment',
  'EnvironmentFile',
  'WorkingDirectory',
  'ExecStart',
  'StandardOutput',
  'StandardError',
  'KillMode',
  'TimeoutStopSec',
  // Applied by systemd only; here they are not, and no test relies on them.
  'Restart',
  'RestartSec',
  'LimitNOFILE',
  'NoNewPrivileges',
  'ProtectSystem',
  'ProtectHome',
  'PrivateTmp',
  'ReadWritePaths',
]);

function seconds(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  const m = /^(\d+)(s|min)?$/.exec(v);
  if (!m) throw new Error(`unsupported time span ${v}`);
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
}

/** Starts the unit file `root`/usr/local/lib/systemd/system/`name` (where install.sh puts them) as systemd would. */
export function startUnit(root: string, name: string, log: string): RunningUnit {
  const unit = parseUnitFile(readFileSync(join(root, UNIT_DIR, name), 'utf8'));
  const svc = unit.get('Service');
  if (!svc) throw new Error(`${name} has no [Service] section`);
  for (const key of svc.keys()) if (!SUPPORTED.has(key)) throw new Error(`${name}: ${key}= is not supported by this helper`);
  const one = (k: string) => svc.get(k)?.at(-1);
  const inRoot = (p: string) => (existsSync(join(root, p)) ? join(root, p) : p);
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin' };
  for (const v of svc.get('Environment') ?? []) {
    for (const w of splitWords(v)) {
      const eq = w.indexOf('=');
      env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  for (const f of svc.get('EnvironmentFile') ?? []) {
    const optional = f.startsWith('-');
    const path = join(root, optional ? f.slice(1) : f);
    if (!existsSync(path) && optional) continue;
    Object.assign(env, parseEnvFile(readFileSync(path, 'utf8')));
  }
  const exec = one('ExecStart');
  if (!exec) throw new Error(`${name} has no ExecStart=`);
  const argv = expandCommand(splitWords(exec), env);
  if (!argv[0]?.startsWith('/')) throw new Error(`${name}: ExecStart= must name an absolute path`);
  const cwd = one('WorkingDirectory');
  const output = (spec: string | undefined): number => {
    const m = /^(append|file):(.+)$/.exec(spec ?? '');
    if (!m) return openSync(log, 'a'); // journal, inherit: the test's log of this unit
    const path = join(root, m[2] as string);
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, m[1] === 'append' ? 'a' : 'w');
  };
  const out = output(one('StandardOutput'));
  const err = one('StandardError') === undefined || one('StandardError') === 'inherit' ? out : output(one('StandardError'));
  const child = spawn(inRoot(argv[0]), argv.slice(1), {
    argv0: argv[0],
    cwd: cwd ? inRoot(cwd) : root,
    env,
    stdio: ['ignore', out, err],
    detached: true, // its own process group stands for the unit's cgroup
  });
  closeSync(out);
  if (err !== out) closeSync(err);
  let gone = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
  const timeout = seconds(one('TimeoutStopSec'), 90) * 1000;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // the group is empty already
    }
  };
  return {
    name,
    child,
    exited: () => gone,
    async stop() {
      if (!gone) {
        if ((one('KillMode') ?? 'control-group') === 'mixed') child.kill('SIGTERM');
        else killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), timeout);
        await exit;
        clearTimeout(timer);
      }
      killGroup('SIGKILL'); // what is left in the "cgroup" once the main process is gone
    },
  };
}
