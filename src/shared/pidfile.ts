// Pid files of the platform's own child processes (embedded etcd, router), so that a control plane restarted
// after a crash can adopt them and still stop them on its way out. A pid is trusted only if its command line
// still names the expected program.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';

export function writePid(path: string, pid: number | undefined): void {
  if (pid) writeFileSync(path, `${pid}\n`);
}

/** The pid recorded at `path` when that process is alive and its command line contains `marker`. */
export function livePid(path: string, marker: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(marker) ? pid : null;
  } catch {
    return null; // no pid file, or no such process
  }
}

/** SIGTERMs an adopted process and waits (bounded) until it is gone. */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited just now
  }
}

export function removePid(path: string): void {
  rmSync(path, { force: true });
}
