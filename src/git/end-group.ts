// Ending a git service process and what it started (the pre-receive hook, its curl) when the pusher went away:
// git runs in its own process group for that (docs/architecture.md §4.3). Knows nothing of HTTP or SSH.

/** Ends the process group of `pid` with SIGTERM (git removes its lock files); a group that ended by itself is fine. */
export function endGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
