// The HTTP request a Dockerfile HEALTHCHECK makes, when the command is a plain `curl` or `wget` of the app's own
// web port (`curl -fsS http://127.0.0.1:8000/ || exit 1`, `wget -q --spider http://localhost:3000/health`, …).
// Such a check can be answered by the platform with the same request sent from the host through the published
// port — the way the router will reach the process — instead of a `docker exec` that starts a process inside the
// container (~0.1 s each). Only a pass is taken from the host: anything else is left to the real command, whose
// verdict and output stand. Commands with any option, shell syntax or URL not understood here are not recognised.

export interface HttpHealthcheck {
  method: 'GET' | 'HEAD';
  /** Path and query, as sent. */
  path: string;
  /** The Host header the command would send. */
  host: string;
  /** Whether only a status below 400 passes (`curl -f`, wget); otherwise any complete answer does. */
  failOnHttpError: boolean;
  /** Whether a 3xx needs following (wget does; then only the real command can say). */
  followsRedirects: boolean;
  /** The command's own time limit, when it sets one. */
  timeoutMs?: number;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '[::1]']);
/** Characters a shell word may hold here without quoting, globbing or expansion mattering. */
const PLAIN_WORD = /^[A-Za-z0-9_.,:/=%@+-]+$/;

/** The words of a shell command line, or null when it holds anything but plain words (optionally quoted as a whole). */
function shellWords(line: string): string[] | null {
  const body = line.trim().replace(/\s*\|\|\s*(exit\s+1|false)\s*$/, '');
  const words: string[] = [];
  for (const raw of body.split(/\s+/).filter(Boolean)) {
    const quoted = /^'([^']*)'$/.exec(raw) ?? /^"([^"$`\\]*)"$/.exec(raw);
    const word = quoted ? quoted[1]! : raw;
    if (!quoted && !PLAIN_WORD.test(word)) return null;
    if (quoted && !/^[^\s'"]*$/.test(word)) return null;
    words.push(word);
  }
  return words.length ? words : null;
}

function parseUrl(text: string, webPort: number): { path: string; host: string } | null {
  const m = /^http:\/\/(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(text);
  if (!m || !LOCAL_HOSTS.has(m[1]!)) return null;
  const port = m[2] ? Number(m[2]) : 80;
  if (port !== webPort) return null;
  return { path: m[3] ?? '/', host: m[2] ? `${m[1]}:${m[2]}` : m[1]! };
}

const seconds = (s: string | undefined): number | undefined => (s && /^\d+(\.\d+)?$/.test(s) ? Math.round(Number(s) * 1000) : undefined);

function curl(args: string[], webPort: number): HttpHealthcheck | null {
  let url: { path: string; host: string } | null = null;
  let fail = false;
  let head = false;
  let timeoutMs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--fail') fail = true;
    else if (a === '--silent' || a === '--show-error') continue;
    else if (a === '--head') head = true;
    else if (a === '-o' || a === '--output') {
      if (args[++i] !== '/dev/null') return null;
    } else if (a === '-o/dev/null') continue;
    else if (a === '-m' || a === '--max-time') {
      if ((timeoutMs = seconds(args[++i])) === undefined) return null;
    } else if (a === '--connect-timeout') {
      if (seconds(args[++i]) === undefined) return null;
    } else if (/^-[fsSI]+$/.test(a)) {
      fail ||= a.includes('f');
      head ||= a.includes('I');
    } else if (!a.startsWith('-') && !url) {
      if (!(url = parseUrl(a, webPort))) return null;
    } else return null;
  }
  return url ? { method: head ? 'HEAD' : 'GET', ...url, failOnHttpError: fail, followsRedirects: false, timeoutMs } : null;
}

function wget(args: string[], webPort: number): HttpHealthcheck | null {
  let url: { path: string; host: string } | null = null;
  let spider = false;
  let timeoutMs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-q' || a === '--quiet' || a === '-nv' || a === '--no-verbose' || a === '--tries=1' || a === '-t1') continue;
    else if (a === '--spider') spider = true;
    else if (a === '-O' || a === '-qO') {
      const file = args[++i];
      if (file !== '-' && file !== '/dev/null') return null;
    } else if (a === '-O-' || a === '-qO-' || a === '-O/dev/null' || a === '-qO/dev/null') continue;
    else if (a === '-T' || a.startsWith('--timeout=')) {
      if ((timeoutMs = seconds(a === '-T' ? args[++i] : a.slice('--timeout='.length))) === undefined) return null;
    } else if (!a.startsWith('-') && !url) {
      if (!(url = parseUrl(a, webPort))) return null;
    } else return null;
  }
  return url ? { method: spider ? 'HEAD' : 'GET', ...url, failOnHttpError: true, followsRedirects: true, timeoutMs } : null;
}

/**
 * The HTTP request that the HEALTHCHECK command `cmd` (as `healthCommand` gives it) makes to the container's
 * `webPort`, or null when it is not a plain curl/wget of that port. Pure.
 */
export function httpHealthcheck(cmd: string[] | null, webPort: number): HttpHealthcheck | null {
  if (!cmd?.length) return null;
  let words: string[] | null = cmd;
  if (cmd.length === 3 && cmd[0] === '/bin/sh' && cmd[1] === '-c') words = shellWords(cmd[2]!);
  else if (cmd.some((w) => /\s/.test(w))) return null;
  if (!words) return null;
  const [program, ...args] = words;
  const name = program?.split('/').pop();
  if (name === 'curl') return curl(args, webPort);
  if (name === 'wget') return wget(args, webPort);
  return null;
}

/** Whether an answer with `status`, got from the host, passes the command's own rule; false leaves it to the command. Pure. */
export function passesFromHost(check: HttpHealthcheck, status: number): boolean {
  if (check.followsRedirects && status >= 300 && status < 400) return false;
  return !check.failOnHttpError || (status >= 200 && status < 400);
}
