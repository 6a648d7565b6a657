// Free TCP ports on 127.0.0.1 for test servers: asked from the kernel, released, and claimed for this test process in
// a directory every test process shares, so two test files started side by side (scripts/test.sh runs them in
// parallel) never both get the same port between its release and its real use. A claim whose process has ended is
// taken over.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLAIMS = join(tmpdir(), 'yb-test-ports');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false when another live process (or this one, earlier) has it. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  const file = join(CLAIMS, String(port));
  const create = () => {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false;
    }
  };
  if (create()) return true;
  let owner = 0;
  try {
    owner = Number(readFileSync(file, 'utf8'));
  } catch {
    return create(); // released meanwhile
  }
  if (owner === process.pid || (owner > 0 && alive(owner))) return false;
  try {
    unlinkSync(file); // its process has ended
  } catch {
    // another process took it over first
  }
  return create();
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelPort();
    if (claim(port)) return port;
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p) && !out.includes(p - 1) && !out.includes(p + 1)) out.push(p);
  }
  return out;
}

/** Binds 127.0.0.1:`port` for a moment; whether that worked. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port whose next port is free too (the embedded etcd listens on both: client, then peer); both claimed. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65535 && (await bindable(p + 1)) && claim(p + 1)) return p;
  }
}
