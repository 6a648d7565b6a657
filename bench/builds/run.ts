// bench/builds: for each language fixture and a Dockerfile fixture, through the real platform: the cold build
// (a new app, empty cache), then warm rebuilds after a source-only change (no dependency change) — build time
// from the build record, and push → serving (git push until the router answers the new body). Reference in the
// same run: plain `docker build` + `docker run` + first answered request of the Dockerfile fixture, with the same
// kind of source change, one round after each warm platform round (same machine load). Prints a table and writes it to bench/builds/RESULTS.md. Not a test: nothing is asserted.
// Run: node --import tsx bench/builds/run.ts [--rounds 3] [--only go-hello,dockerfile-hello] [--no-write]
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { startPlatform, fixtureRepo, git, commitAll, httpGet, ROOT, type Platform } from '../../test/helpers/platform.js';
import { freePort } from '../../test/helpers/ports.js';
import { median } from '../stats.js';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const ALL = ['node-hello', 'node-yarn', 'node-pnpm', 'python-hello', 'static-hello', 'go-hello', 'java-hello', 'php-hello', 'rust-hello', 'dockerfile-hello'];
const FIXTURES = args.only ? args.only.split(',') : ALL;
const DOCKERFILE_FIXTURE = 'dockerfile-hello';
const UPTIME_S = 1; // the health check's "stays up" time, as in the integration tests

const secs = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '—');
const ms2 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The source change of round N: "hello from" becomes "hello rN-<run> from" in the app's files (not in lockfiles).
 * The run's own tag keeps Docker's layer cache from matching a round of an earlier run (same files, cached COPY).
 */
const RUN_TAG = Date.now().toString(36);
const roundText = (round: number) => `hello r${round}-${RUN_TAG} from`;
async function changeSource(dir: string, round: number): Promise<void> {
  const { stdout } = await run('grep', ['-rlF', '--exclude=EXPECTED', '--exclude-dir=.git', 'hello', dir]);
  for (const file of stdout.trim().split('\n').filter(Boolean)) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/hello (r\d+-[0-9a-z]+ )?from/g, roundText(round)));
  }
}
const expectedBody = (fixture: string, round: number) =>
  readFileSync(join(ROOT, 'test/fixtures/apps', fixture, 'EXPECTED'), 'utf8')
    .trim()
    .replace('hello from', round ? roundText(round) : 'hello from');

interface Measure {
  buildMs: number;
  compileMs: number;
  imageMs: number;
  pushToServingMs: number;
}
interface Row {
  fixture: string;
  language: string;
  cold: Measure;
  warm: Measure[];
}

async function lastBuild(p: Platform, app: string): Promise<{ ms: number; compileMs: number; imageMs: number; language: string }> {
  const builds = JSON.parse((await p.yb(['builds', '--json', '-a', app])).stdout) as Array<{
    createdAt: string;
    finishedAt?: string;
    language?: string;
    languageVersion?: string | null;
    builder: string;
    durations?: Record<string, number>;
  }>;
  const b = builds[0]!;
  const language = b.builder === 'dockerfile' ? 'Dockerfile' : `${b.language ?? '?'} ${b.languageVersion ?? ''}`.trim();
  const d = b.durations ?? {};
  return { ms: Date.parse(b.finishedAt ?? b.createdAt) - Date.parse(b.createdAt), compileMs: d.compile ?? NaN, imageMs: d.image ?? NaN, language };
}

async function pushAndServe(p: Platform, app: string, repo: string, body: string, timeoutMs: number): Promise<Measure & { language: string }> {
  const url = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
  // Serving is watched while the push runs: traffic moves to the new release before the push returns (the old
  // processes are stopped after the switch, docs/architecture.md §5), and the user-visible moment is the first new answer.
  const t0 = Date.now();
  let servedAt = 0;
  const serving = waitFor(async () => {
    const ok = (await p.fetchApp(`${app}.localhost`)).body.includes(body);
    if (ok && servedAt === 0) servedAt = Date.now();
    return ok;
  }, timeoutMs);
  const push = await git(repo, ['push', url, 'main']);
  if (push.code !== 0) throw new Error(`push of ${app} failed:\n${push.output}`);
  await serving;
  const pushToServingMs = servedAt - t0;
  const b = await lastBuild(p, app);
  return { buildMs: b.ms, compileMs: b.compileMs, imageMs: b.imageMs, pushToServingMs, language: b.language };
}

async function benchFixture(p: Platform, fixture: string, afterRound?: (round: number) => Promise<void>): Promise<Row> {
  const app = `b-${fixture}`;
  await p.yb(['apps:create', app]);
  const repo = await fixtureRepo(fixture, p.dataDir);
  const cold = await pushAndServe(p, app, repo, expectedBody(fixture, 0), 600_000);
  const warm: Measure[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await changeSource(repo, round);
    await commitAll(repo, `round ${round}`);
    warm.push(await pushAndServe(p, app, repo, expectedBody(fixture, round), 300_000));
    await afterRound?.(round);
  }
  process.stderr.write(`${fixture}: cold ${secs(cold.pushToServingMs)} s, warm ${warm.map((w) => secs(w.pushToServingMs)).join(' / ')} s\n`);
  return { fixture, language: cold.language, cold, warm };
}

/**
 * Plain Docker reference: the Dockerfile fixture with the same kind of change, docker build + run + first answer.
 * One round after each warm platform round, so both see the same machine load (the cores are shared).
 */
async function plainDockerRound(p: Platform, repo: string, round: number, buildkit = false): Promise<number> {
  const change = (buildkit ? 200 : 100) + round;
  await changeSource(repo, change);
  const tag = `${p.instance}/plain-docker:${buildkit ? 'bk' : ''}${round}`;
  const port = await freePort();
  const t0 = Date.now();
  if (!buildkit) await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, repo]);
  else {
    // The engine's BuildKit through its API, as the platform builds (the docker CLI here has no buildx).
    const query = new URLSearchParams({ version: '2', t: tag, labels: JSON.stringify({ 'yunbang.instance': p.instance }) });
    await run('sh', [
      '-c',
      `tar -C "$1" -c --exclude=.git . | curl -sSf --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/x-tar' -T - "http://localhost/build?$2" | grep -q moby.image.id`,
      'sh',
      repo,
      query.toString(),
    ]);
  }
  const { stdout } = await run('docker', ['run', '-d', '--label', `yunbang.instance=${p.instance}`, '-p', `127.0.0.1:${port}:8000`, tag]);
  await waitFor(async () => (await httpGet(port, 'x')).body.includes(expectedBody(DOCKERFILE_FIXTURE, change)), 60_000);
  const ms = Date.now() - t0;
  await run('docker', ['rm', '-f', stdout.trim()]);
  return ms;
}

function table(rows: Row[], plain: number[], plainBuildkit: number[]): string {
  const lines = [
    `| app | language | cold build | cold push → serving | warm build (median of ${ROUNDS}) | of which compile / image | warm push → serving (median of ${ROUNDS}) |`,
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const m = (f: (w: Measure) => number) => secs(median(r.warm.map(f)));
    lines.push(
      `| ${r.fixture} | ${r.language} | ${secs(r.cold.buildMs)} | ${secs(r.cold.pushToServingMs)} | ` +
        `${m((w) => w.buildMs)} | ${m((w) => w.compileMs)} / ${m((w) => w.imageMs)} | ${m((w) => w.pushToServingMs)} |`,
    );
  }
  if (plain.length) {
    lines.push(
      `| reference: plain docker build + run + first answer (${DOCKERFILE_FIXTURE}; the CLI's classic builder) | Dockerfile | — | — | — | — | ${secs(median(plain))} |`,
    );
    if (plainBuildkit.length)
      lines.push(
        `| reference: the engine's BuildKit via its API (curl) + docker run + first answer | Dockerfile | — | — | — | — | ${secs(median(plainBuildkit))} |`,
      );
  }
  const node = rows.find((r) => r.fixture === 'node-hello');
  const dock = rows.find((r) => r.fixture === DOCKERFILE_FIXTURE);
  const dockWarm = dock ? median(dock.warm.map((w) => w.pushToServingMs)) : NaN;
  lines.push('');
  if (node) lines.push(`- warm Node.js redeploy, push → serving: ${secs(median(node.warm.map((w) => w.pushToServingMs)))} s (target ≤ 10 s)`);
  if (dock && plainBuildkit.length) {
    lines.push(
      `- Dockerfile deploy ÷ the engine's BuildKit via curl + docker run (no platform): ${(dockWarm / median(plainBuildkit)).toFixed(2)}×` +
        ` — ${ms2(dockWarm)} s vs ${ms2(median(plainBuildkit))} s (rounds: ${plainBuildkit.map(ms2).join(' ')}): what git, the health check and the switch add`,
    );
  }
  if (dock && plain.length) {
    const ratio = dockWarm / median(plain);
    lines.push(
      `- Dockerfile deploy ÷ plain Docker (warm push → serving vs build + run + first answer): ${ratio.toFixed(2)}× (target ≤ 1.2×)` +
        ` — ${ms2(dockWarm)} s vs ${ms2(median(plain))} s (rounds: ${dock.warm.map((w) => ms2(w.pushToServingMs)).join(' ')} vs ${plain.map(ms2).join(' ')});` +
        ' the HEALTHCHECK is answered as soon as the port listens, so no uptime wait applies; the platform also pays for git push and its hook, and switches traffic through etcd and the router',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const p = await startPlatform({ YB_HEALTH_UPTIME: String(UPTIME_S) });
  const rows: Row[] = [];
  const plain: number[] = [];
  const plainBuildkit: number[] = [];
  try {
    for (const fixture of FIXTURES) {
      if (fixture !== DOCKERFILE_FIXTURE) rows.push(await benchFixture(p, fixture));
      else {
        const plainRepo = await fixtureRepo(DOCKERFILE_FIXTURE, p.dataDir);
        rows.push(
          await benchFixture(p, fixture, async (round) => {
            plain.push(await plainDockerRound(p, plainRepo, round));
            plainBuildkit.push(await plainDockerRound(p, plainRepo, round, true));
          }),
        );
      }
    }
  } finally {
    await p.stop();
  }
  const out = table(rows, plain, plainBuildkit);
  console.log(`\n${out}`);
  if (!args['no-write']) {
    const { stdout: commit } = await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).catch(() => ({ stdout: '?' }));
    // The latest run replaces the top of the file; the sections below it (earlier runs, notes) are kept.
    const file = join(ROOT, 'bench/builds/RESULTS.md');
    const previous = readFileSync(file, 'utf8');
    const kept = previous.indexOf('\n## ') === -1 ? '' : previous.slice(previous.indexOf('\n## '));
    writeFileSync(
      file,
      `# Build benchmark results

Latest run of \`node --import tsx bench/builds/run.ts\` (${new Date().toISOString().slice(0, 16)}Z, commit ${commit.trim()},
${cpus().length} cores). Seconds. Cold = a new app with an empty build cache (runtimes and dependencies
downloaded through the host's registries); warm = a source-only change pushed again (cached runtime and
dependencies). Build = the build record's createdAt → finishedAt (the build alone: unpack, compile in the
builder, slug → image); push → serving = from \`git push\` until the router first answers the new body, watched
while the push runs (build, release, health check with YB_HEALTH_UPTIME=${UPTIME_S}, switch).

${out}
${kept}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
