// Bare git repositories of apps under $YB_DATA_DIR/repos, each with our pre-receive hook installed.
// Owns repo paths and hook installation; never runs a build itself.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function repoPath(dataDir: string, app: string): string {
  return join(dataDir, 'repos', `${app}.git`);
}

/**
 * The pre-receive hook, a POSIX shell script: for a push to main or master it sends the pushed tree (git archive,
 * read from the push's quarantine) to the control plane with curl, and relays the build and deploy output, which
 * git shows as "remote:" lines. The answer's last line, "\0ok" or "\0fail" (shared/status-lines.ts), is not shown;
 * anything but "ok" rejects the push. Once it has come the answer is complete: what follows is dropped (curl's
 * complaint when the control plane stopped reading a source it refused, e.g. one that unpacks past
 * YB_MAX_UNPACKED_MB). The secret travels in a header read from a here-document, never in argv.
 * (A shell and curl start in a few milliseconds; a Node hook took ~60 ms of every push.)
 * When the app is a pipeline's review parent (YB_REVIEW_APPS=1, set by ybd per push), other branches are sent too,
 * and a deleted branch as an empty body with delete=1 (docs/architecture.md §5.6). The ref travels hex-encoded:
 * git allows "&", "#" and "%" in branch names, which must not reach the URL's query as they are.
 */
export const HOOK_SCRIPT = `#!/bin/sh
# Installed by Yunbang: builds and deploys pushes to main/master, and other branches as review apps when the app is a
# pipeline's review parent (see src/git/repos.ts).
# The status line comes as "\\0ok"; sed makes it "\\1ok" (awk cannot read a NUL), awk shows the lines before it as
# they come, none after it (the answer is complete), and exits 0 only when it is that "ok". curl's own errors come
# through the same pipe. mawk reads its input in blocks unless told to read lines.
relay='status != "" { next }
$0 == "\\001ok" || $0 == "\\001fail" { status = $0; next }
{ print; fflush() }
END { exit status != "\\001ok" }'
line_awk=awk
awk -W version 2>/dev/null | grep -q mawk && line_awk='awk -W interactive'
status=0
while read -r _old new ref; do
  case "$ref" in
    refs/heads/main|refs/heads/master) main=1 ;;
    refs/heads/*) main=0; [ "\${YB_REVIEW_APPS:-}" = 1 ] || { echo "Pushed $ref; only main or master is deployed."; continue; } ;;
    *) echo "Pushed $ref; only main or master is deployed."; continue ;;
  esac
  source="git archive --format=tar $new"
  query="rev=$new"
  case "$new" in
    *[!0]*) ;;
    *) [ "$main" = 0 ] || { echo "! Deleting $ref is not allowed: it is the deploy branch."; status=1; continue; }
       source="cat /dev/null"; query="delete=1" ;;
  esac
  ref_hex=$(printf '%s' "$ref" | od -An -v -tx1 | tr -d ' \\n')
  {
    $source |
      curl -sS -N -X POST -T - -H 'Content-Type: application/x-tar' -H 'Expect:' -H @/dev/fd/3 \\
        "$YB_HOOK_URL?app=$YB_APP&$query&ref=$ref_hex" 3<<HEADERS 2>&1 || echo "! The deploy could not be started (curl exit status $?)."
x-yb-hook-secret: $YB_HOOK_SECRET
x-yb-user: $YB_USER
HEADERS
  } | LC_ALL=C sed -u 's/^\\x00/\\x01/' | $line_awk "$relay" || status=1
done
exit $status
`;

/** Creates the app's bare repo if missing and (re)installs the hook; returns its path. */
export async function ensureRepo(dataDir: string, app: string): Promise<string> {
  const dir = repoPath(dataDir, app);
  if (!existsSync(join(dir, 'HEAD'))) {
    await mkdir(dir, { recursive: true });
    await run('git', ['init', '--bare', '--quiet', '--initial-branch=main', dir]);
    await run('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'false']);
    await run('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
  }
  await writeFile(join(dir, 'hooks', 'pre-receive'), HOOK_SCRIPT, { mode: 0o755 });
  return dir;
}

export async function removeRepo(dataDir: string, app: string): Promise<void> {
  await rm(repoPath(dataDir, app), { recursive: true, force: true });
}
