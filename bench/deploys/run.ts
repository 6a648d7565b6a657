// bench/deploys: push-to-serving and rollout times through the real platform under steady load through the
// router, with the failed-request count; reference in the same run: plain `docker run` of the same image until it
// answers (the floor any deploy of that image pays). Prints a table. Not a test: nothing is asserted.
// Run: node --import tsx bench/deploys/run.ts [rounds=3]
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, httpGet } from '../../test/helpers/platform.js';
import { startLoad } from '../../test/helpers/load.js';
import { freePort } from '../../test/helpers/ports.js';

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const secs = (ms: number) => (ms / 1000).toFixed(2);

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const p = await startPlatform({ YB_HEALTH_UPTIME: '1' });
  try {
    const repo = await fixtureRepo('node-zero', p.dataDir);
    const url = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/bench.git`;
    await p.yb(['apps:create', 'bench']);
    const host = 'bench.localhost';

    let t = Date.now();
    const cold = await git(repo, ['push', url, 'main']);
    if (cold.code !== 0) throw new Error(cold.output);
    await waitFor(async () => (await p.fetchApp(host)).status === 200);
    const coldMs = Date.now() - t;

    const load = startLoad(p.routerPort, host, { keepAlive: 4, fresh: 2, maxSeconds: 900 });
    const warm: number[] = [];
    const config: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      appendFileSync(join(repo, 'server.js'), `\n// round ${i}\n`);
      await commitAll(repo, `round ${i}`);
      t = Date.now();
      const push = await git(repo, ['push', url, 'main']);
      if (push.code !== 0) throw new Error(push.output);
      const version = /v(\d+) is live/.exec(push.output)?.[1];
      await waitFor(async () => (await p.fetchApp(host)).body.startsWith(`ok v${version}`));
      warm.push(Date.now() - t);
      t = Date.now();
      await p.yb(['config:set', `ROUND=${i}`, '-a', 'bench']);
      config.push(Date.now() - t);
    }
    const r = await load.stop();

    // Reference: the same run image started with plain `docker run` until it answers.
    const rel = JSON.parse((await p.yb(['releases:info', '-a', 'bench', '--json'])).stdout) as { imageId: string };
    const plain: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const port = await freePort();
      t = Date.now();
      const { stdout } = await run('docker', ['run', '-d', '--rm', '--label', `yunbang.instance=${p.instance}`, '-e', 'PORT=5000', '-p', `127.0.0.1:${port}:5000`, rel.imageId, '/usr/local/bin/yb-launch', 'node server.js']);
      await waitFor(async () => (await httpGet(port, 'x')).status === 200);
      plain.push(Date.now() - t);
      await run('docker', ['rm', '-f', stdout.trim()]);
    }

    const rows = [
      ['cold push → serving (Node.js, first build)', secs(coldMs), '—'],
      [`warm push → serving (median of ${rounds})`, secs(median(warm)), (median(warm) / median(plain)).toFixed(1) + '×'],
      [`config change → serving (median of ${rounds})`, secs(median(config)), (median(config) / median(plain)).toFixed(1) + '×'],
      [`reference: plain docker run → first answer (median of ${rounds})`, secs(median(plain)), '1.0×'],
    ];
    console.log('\n| what | seconds | ÷ plain docker run |\n|---|---:|---:|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(`\nUnder load during ${rounds} pushes and ${rounds} config changes: ${r.requests} requests, ${r.failures} failed or 5xx.`);
    if (r.failures) console.log(`samples: ${r.samples.join(' | ')}`);
  } finally {
    await p.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
