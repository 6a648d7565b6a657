// The console's app page and create-app paths end to end in a real browser (Debian's chromium) against the real
// platform (ybd, etcd, Docker, router): create an app and deploy it by uploading a tarball (previewed in the page
// first, its build output streaming), hostile files refused by the preview, a Dockerfile app by the same upload and
// its image released to another app, metrics charts fed by real requests through the router, domains, https-only,
// log drains, the dependency graph, build details and process sizes. axe-core on every new page: no serious or
// critical violation; 390 px dark without sideways scrolling. Measures the metrics page's time to interactive. A
// destroyed app's history never reaches the next owner of its name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startPlatform, ROOT, type Platform } from '../helpers/platform.js';
import { until } from '../helpers/until.js';
import { apiAs, assertAccessible, launchBrowser, screenshot, signInAs } from './browser.js';
import { createTestPki } from '../integration/router/tls-pki.js';

let p: Platform;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
const PASSWORDS: Record<string, string> = { olga: 'olga-password-1', vic: 'vic-password-1' };
const tokens: Record<string, string> = {};
const APP = 'upapp';
const IMG_APP = 'from-image';
const DOCKER_APP = 'docker-app';
// .invalid never resolves (RFC 6761): the drain is kept and retried, and nothing leaves the machine.
const DRAIN = 'syslog+tls://logs.drain-e2e.invalid:6514';

const api = (method: string, path: string, token: string, body?: unknown) => apiAs(p.apiUrl, method, path, token, body);
const accessible = assertAccessible;
const signIn = (ctx: BrowserContext, name: string) => signInAs(ctx, p.apiUrl, name, PASSWORDS[name]!);

/** A fixture app packed as the README says (tar czf app.tgz -C DIR .), with extra files written into it first. */
function tarball(fixture: string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(p.dataDir, 'upload-'));
  const src = join(dir, 'src');
  cpSync(join(ROOT, 'test', 'fixtures', 'apps', fixture), src, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(src, name), text);
  const file = join(dir, 'app.tgz');
  const r = spawnSync('tar', ['czf', file, '-C', src, '.']);
  assert.equal(r.status, 0, String(r.stderr));
  return file;
}

before(async () => {
  // Samples every 2 s so the charts fill within the test (the default is 15 s); an ACME CA that is not there (port 9).
  p = await startPlatform({ YB_METRICS_INTERVAL: '2', YB_ACME_DIRECTORY: 'http://127.0.0.1:9/directory' });
  for (const [name, password] of Object.entries(PASSWORDS)) tokens[name] = (await api('POST', '/users', p.token, { name, password })).token;
  await api('POST', '/teams', tokens.olga!, { name: 'team-a' });
  await api('POST', '/teams/team-a/members', tokens.olga!, { user: 'vic', role: 'viewer' });
  browser = await launchBrowser();
  owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await signIn(owner, 'olga');
});

after(async () => {
  await browser?.close();
  await p?.stop();
});

test('create an app and deploy it by uploading a tarball: previewed in the page, the build streams, the app runs', { timeout: 600_000 }, async () => {
  await page.getByRole('link', { name: 'Create app' }).first().click();
  await page.getByLabel('Name', { exact: true }).fill(APP);
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: `${APP} is ready for its first push` }).waitFor();
  await page.getByRole('heading', { name: 'Upload a tarball' }).waitFor();
  await page.getByRole('heading', { name: 'Deploy an image already imported' }).waitFor();

  // A file that is not a tar archive: the preview says so in one sentence, and nothing can be deployed.
  await page.getByLabel('Tarball').setInputFiles({ name: 'evil.tgz', mimeType: 'application/gzip', buffer: Buffer.from('not gzip at all'.repeat(100)) });
  await page.getByRole('alert').filter({ hasText: 'not a tar archive' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Deploy this tarball' }).isDisabled(), true);
  // A gzip bomb-like file (64 MiB of zeros, a few KiB compressed) ends the preview quickly instead of hanging.
  const zeros = spawnSync('bash', ['-c', 'head -c 67108864 /dev/zero | gzip -c'], { maxBuffer: 1 << 24 }).stdout;
  const t0 = Date.now();
  await page.getByLabel('Tarball').setInputFiles({ name: 'zeros.tgz', mimeType: 'application/gzip', buffer: zeros });
  await page.getByRole('alert').filter({ hasText: 'not a tar archive' }).waitFor({ timeout: 60_000 });
  process.stdout.write(`# console-app: a ${zeros.length}-byte gzip of 64 MiB of zeros refused by the preview in ${Date.now() - t0} ms\n`);
  // A well-formed archive with more entries than the preview reads is previewed in part and may still be deployed.
  const many = mkdtempSync(join(p.dataDir, 'many-'));
  mkdirSync(join(many, 'src', 'files'), { recursive: true });
  for (let i = 0; i < 20_001; i++) writeFileSync(join(many, 'src', 'files', String(i)), '');
  assert.equal(spawnSync('tar', ['cf', join(many, 'many.tar'), '-C', join(many, 'src'), '.']).status, 0);
  await page.getByLabel('Tarball').setInputFiles(join(many, 'many.tar'));
  await page.getByTestId('tarball-preview').getByText('more than 20000 entries; the preview stops there').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Deploy this tarball' }).isDisabled(), false);
  // An app.json over the preview's 64 KiB is named, not read into the page.
  await page.getByLabel('Tarball').setInputFiles(tarball('node-hello', { 'app.json': JSON.stringify({ env: { BIG: 'x'.repeat(100_000) } }) }));
  await page.getByTestId('tarball-preview').getByText('Too big to preview: app.json (98 KiB)').waitFor();
  assert.equal(await page.getByTestId('app-json').count(), 0);

  await page
    .getByLabel('Tarball')
    .setInputFiles(
      tarball('node-hello', { Procfile: 'web: node server.js\n', 'app.json': JSON.stringify({ name: 'uploaded', env: { GREETING: 'from-a-tarball' } }) }),
    );
  const preview = page.getByTestId('tarball-preview');
  await preview.filter({ hasText: 'No Dockerfile at its top: buildpacks detect the language' }).waitFor();
  await preview.getByRole('cell', { name: 'node server.js' }).waitFor();
  assert.match((await page.getByTestId('app-json').textContent()) ?? '', /"GREETING": "from-a-tarball"/);
  await accessible(page, 'create app: tarball preview');
  await screenshot(page, 'create-app-upload');

  await page.getByRole('button', { name: 'Deploy this tarball' }).click();
  const output = page.getByTestId('upload-output');
  await output.filter({ hasText: 'Node.js app detected' }).waitFor({ timeout: 300_000 });
  await page.locator('h3 .badge', { hasText: 'succeeded' }).waitFor({ timeout: 300_000 });
  assert.match((await output.textContent()) ?? '', /v1 is live at/);
  assert.ok(!((await output.textContent()) ?? '').includes('\u0000'), 'the end marker is not shown');
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'hello from yunbang from-a-tarball');
});

test('a Dockerfile app by the same upload, then its built image released to another app', { timeout: 600_000 }, async () => {
  await page.getByRole('button', { name: 'Create another app' }).click();
  await page.getByLabel('Name', { exact: true }).fill(DOCKER_APP);
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: `${DOCKER_APP} is ready for its first push` }).waitFor();
  await page.getByLabel('Tarball').setInputFiles(tarball('dockerfile-hello'));
  await page.getByTestId('tarball-preview').filter({ hasText: 'It has a Dockerfile at its top: the platform builds it with that Dockerfile' }).waitFor();
  await page.getByRole('button', { name: 'Deploy this tarball' }).click();
  await page
    .locator('h3 .badge', { hasText: 'succeeded' })
    .or(page.locator('h3 .badge', { hasText: 'failed' }))
    .waitFor({ timeout: 300_000 });
  assert.match((await page.getByTestId('upload-output').textContent()) ?? '', /v1 is live at/);
  assert.equal((await p.fetchApp(`${DOCKER_APP}.localhost`)).body.trim(), 'hello from a Dockerfile static server');

  const builds = (await api('GET', `/apps/${DOCKER_APP}/builds`, tokens.olga!)) as Array<{ imageId?: string }>;
  const image = builds.at(-1)!.imageId!;
  await page.getByRole('button', { name: 'Create another app' }).click();
  await page.getByLabel('Name', { exact: true }).fill(IMG_APP);
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: `${IMG_APP} is ready for its first push` }).waitFor();
  // An image the team has not got is the API's sentence.
  await page.getByLabel('Image').fill('no-such-image:1');
  await page.getByRole('button', { name: 'Deploy image' }).click();
  await page.getByRole('alert').filter({ hasText: 'is not one your team imported or built' }).waitFor();
  await page.getByLabel('Image').fill(image);
  await page.getByRole('button', { name: 'Deploy image' }).click();
  const live = page.getByRole('status').filter({ hasText: `v1 of ${IMG_APP} is live` });
  await live.or(page.getByRole('alert')).waitFor({ timeout: 240_000 });
  assert.deepEqual(await page.getByRole('alert').allTextContents(), [], 'no error deploying the image');
  assert.equal((await p.fetchApp(`${IMG_APP}.localhost`)).body.trim(), 'hello from a Dockerfile static server');
  await accessible(page, 'create app: image deployed');
  await screenshot(page, 'create-app-image');
});

test('metrics charts show the requests sent through the router, latency, CPU and memory', { timeout: 300_000 }, async () => {
  await page.goto(`${p.apiUrl}/console/apps/${APP}/metrics`);
  await page.getByRole('heading', { name: /Metrics/ }).waitFor();
  for (let i = 0; i < 30; i++) assert.equal((await p.fetchApp(`${APP}.localhost`)).status, 200);
  assert.equal((await p.fetchApp(`${APP}.localhost`, '/no-such-page')).status, 404);
  const total = page.getByTestId('metrics-total');
  // The numbers behind each chart: some interval had requests per second, a 2xx count, latency and web's memory.
  const numbers = async (testId: string, column: number) => {
    const chart = page.getByTestId(testId);
    return (await chart.locator(`tbody tr td:nth-child(${column})`).allTextContents()).filter((t) => t !== '—');
  };
  await until(
    'the chart data to count the 31 requests, the 404 among them',
    async () => {
      await page.getByRole('button', { name: 'Refresh now' }).click();
      const n = Number(/(\d+) requests/.exec((await total.textContent()) ?? '')?.[1] ?? 0);
      return n >= 31 && (await numbers('chart-status', 4)).some((v) => Number(v) >= 1);
    },
    120_000,
  );
  assert.ok(
    (await numbers('chart-rps', 2)).some((v) => Number.parseFloat(v) > 0),
    'requests/s above zero',
  );
  assert.ok(
    (await numbers('chart-status', 2)).some((v) => Number(v) > 0),
    '2xx responses counted',
  );
  assert.ok(
    (await numbers('chart-status', 4)).some((v) => Number(v) >= 1),
    'the 404 counted as 4xx',
  );
  assert.ok(
    (await numbers('chart-latency', 4)).some((v) => Number.parseFloat(v) > 0),
    'a p99 latency',
  );
  await until('web memory charted', async () => {
    await page.getByRole('button', { name: 'Refresh now' }).click();
    return (await numbers('chart-memory', 2)).some((v) => Number.parseFloat(v) > 0);
  });
  await page.getByText('Show the numbers of requests per second').click();
  await accessible(page, 'metrics');
  await screenshot(page, 'app-metrics');
});

test('domains, https-only and log drains from the page; a bad host name is the API sentence', { timeout: 120_000 }, async () => {
  await page.getByRole('link', { name: 'Domains & drains' }).click();
  await page.getByText('Only the default host so far').waitFor();
  await page.getByText('No log drains').waitFor();
  await page.getByLabel('Custom domain').fill('bad_host!');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await page.locator('section[aria-labelledby="dom-h"]').getByRole('alert').waitFor();
  await page.getByLabel('Custom domain').fill('www.up-e2e.test');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await page.getByRole('cell', { name: 'www.up-e2e.test', exact: true }).waitFor();
  await page.getByText('no certificate', { exact: false }).first().waitFor();
  assert.equal((await p.fetchApp('www.up-e2e.test')).body, 'hello from yunbang from-a-tarball', 'the router serves the new host');
  // A certificate uploaded through the API shows with its issuer and expiry.
  const pki = await createTestPki();
  try {
    const leaf = await pki.leaf(['www.up-e2e.test'], 30);
    await api('POST', `/apps/${APP}/sni-endpoints`, tokens.olga!, { certificate: leaf.cert, privateKey: leaf.key });
  } finally {
    pki.close();
  }
  await page.reload();
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'www.up-e2e.test', exact: true }) });
  await row.filter({ hasText: /uploaded certificate from .+, expires in (29|30) days/ }).waitFor();
  // A controlled switch: it shows the state the API answered, so it turns on once the change is made.
  await page.getByLabel('HTTPS only').click();
  await until('the switch shows on', () => page.getByLabel('HTTPS only').isChecked());
  await until('https-only on', async () => (await api('GET', `/apps/${APP}/https-only`, tokens.olga!)).enabled === true);
  await until(
    'the router redirects plain HTTP',
    async () => (await p.fetchApp(`${APP}.localhost`)).status === 308 || (await p.fetchApp(`${APP}.localhost`)).status === 301,
  );
  await page.getByLabel('HTTPS only').click();
  await until('the switch shows off', async () => !(await page.getByLabel('HTTPS only').isChecked()));
  await until('https-only off', async () => (await api('GET', `/apps/${APP}/https-only`, tokens.olga!)).enabled === false);
  // A tenant cannot aim a drain at the platform's own loopback: the API's sentence, nothing added.
  const drains = page.locator('section[aria-labelledby="drains-h"]');
  await page.getByLabel('Drain URL').fill('syslog+tcp://127.0.0.1:9');
  await page.getByRole('button', { name: 'Add drain' }).click();
  await drains.getByRole('alert').filter({ hasText: 'does not connect' }).waitFor();
  assert.equal(((await api('GET', `/apps/${APP}/log-drains`, tokens.olga!)) as unknown[]).length, 0);
  await page.getByLabel('Drain URL').fill(DRAIN);
  await page.getByRole('button', { name: 'Add drain' }).click();
  await page.getByRole('cell', { name: DRAIN, exact: true }).waitFor();
  assert.equal(((await api('GET', `/apps/${APP}/log-drains`, tokens.olga!)) as unknown[]).length, 1);
  // Asking an ACME CA that does not answer: the page says per host (or in one sentence) that it failed, and no certificate appears.
  await page.getByRole('button', { name: 'Obtain certificates (ACME)' }).click();
  await page.getByRole('list', { name: 'ACME results' }).or(page.locator('section[aria-labelledby="dom-h"]').getByRole('alert')).waitFor({ timeout: 120_000 });
  assert.match((await page.locator('section[aria-labelledby="dom-h"]').textContent()) ?? '', /failed|could not|not reach|refused/i);
  assert.equal(((await api('GET', `/apps/${APP}/sni-endpoints`, tokens.olga!)) as Array<{ source?: string }>).filter((c) => c.source === 'acme').length, 0);
  await accessible(page, 'domains and drains');
  await screenshot(page, 'app-domains');
  await page.getByRole('button', { name: /^Remove drain/ }).click();
  await page.getByText('No log drains').waitFor();
  await page.getByRole('button', { name: 'Remove www.up-e2e.test' }).click();
  await page.getByText('Only the default host so far').waitFor();
  assert.equal((await p.fetchApp('www.up-e2e.test')).status, 404, 'the removed host is no longer routed');
});

test('the dependency graph: add a dependency from the page, see it drawn and listed with links', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Dependencies' }).click();
  await page.getByText('depends on nothing and nothing depends on it yet').waitFor();
  await accessible(page, 'dependencies (empty)');
  await page.getByLabel('Depends on app').fill(IMG_APP);
  await page.getByRole('button', { name: 'Add dependency' }).click();
  const list = page.getByTestId('deps-list');
  await list.filter({ hasText: `${APP} depends on app ${IMG_APP}` }).waitFor({ timeout: 120_000 });
  // A linked service is a node too (app → service), with its alias in the list.
  await api('POST', '/services', tokens.olga!, { name: 'cache', kind: 'redis', team: 'team-a' });
  await api('POST', '/services/cache/links', tokens.olga!, { app: APP });
  await page.reload();
  await list.filter({ hasText: `${APP} uses service cache (redis) as REDIS_URL` }).waitFor();
  const graph = page.getByTestId('deps-graph');
  assert.equal(await graph.locator('.node').count(), 3);
  assert.equal(await graph.locator('.node.service').count(), 1);
  assert.equal(await graph.locator('.edge').count(), 2);
  assert.match((await graph.textContent()) ?? '', new RegExp(IMG_APP));
  const config = await api('GET', `/apps/${APP}/config-vars`, tokens.olga!);
  assert.match(config.FROM_IMAGE_URL, /^http:\/\//, 'the dependency set FROM_IMAGE_URL');
  await accessible(page, 'dependencies');
  await screenshot(page, 'app-dependencies');
  // The other end: the second app's page lists up as depending on it.
  await list.getByRole('link', { name: IMG_APP }).click();
  await page
    .getByTestId('deps-list')
    .filter({ hasText: `${APP} depends on ${IMG_APP}` })
    .waitFor();
  await page.goto(`${p.apiUrl}/console/apps/${APP}/deps`);
  await page.getByRole('button', { name: `Remove dependency on ${IMG_APP}` }).click();
  await page
    .getByTestId('deps-list')
    .filter({ hasText: `depends on app ${IMG_APP}` })
    .waitFor({ state: 'detached', timeout: 120_000 });
  assert.equal((await api('GET', `/apps/${APP}/config-vars`, tokens.olga!)).FROM_IMAGE_URL, undefined, 'its vars went with it');
});

test('build details (dependencies, process types) and scaling with a size', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Releases & builds' }).click();
  const row = page.locator('section[aria-labelledby="builds-h"] tbody tr').first();
  await row.getByText(/dependencies/).click();
  const details = row.locator('[data-testid^="build-details-"]');
  await details.getByText('express').waitFor();
  await details.getByText('web: node server.js').waitFor();
  await accessible(page, 'builds with details');
  await page.getByRole('link', { name: 'Processes & deploys' }).click();
  await page.getByLabel('Size of web').fill('nonsense');
  await page.getByLabel('Size of web').fill('256M');
  await page.getByRole('button', { name: 'Scale' }).click();
  await page.getByRole('status').filter({ hasText: 'Scaling web to 1 of size 256M' }).waitFor();
  await page.locator('.process-type h3', { hasText: '256M' }).waitFor({ timeout: 120_000 });
  const formation = (await api('GET', `/apps/${APP}/formation`, tokens.olga!)) as Array<{ type: string; size?: string }>;
  assert.equal(formation.find((f) => f.type === 'web')?.size, '256M');
  await accessible(page, 'processes with sizes');
});

test('a viewer sees the new pages read-only', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pg = await signIn(ctx, 'vic');
  await pg.goto(`${p.apiUrl}/console/apps/${APP}/domains`);
  await pg.getByText('HTTPS only: off').waitFor();
  assert.equal(await pg.getByRole('button', { name: /Add|Remove|Obtain/ }).count(), 0);
  await pg.goto(`${p.apiUrl}/console/apps/${APP}/deps`);
  await pg.getByTestId('deps-list').waitFor();
  assert.equal(await pg.getByRole('button', { name: /dependency/ }).count(), 0);
  await accessible(pg, 'dependencies as viewer');
  await ctx.close();
});

test('time to interactive of the metrics page, and 390 px dark without sideways scrolling', async () => {
  const pg = await owner.newPage();
  await pg.goto(`${p.apiUrl}/console/apps/${APP}/metrics`);
  await pg.getByTestId('chart-rps').waitFor();
  const t = await pg.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { domInteractive: Math.round(nav.domInteractive), charts: Math.round(performance.now()) };
  });
  process.stdout.write(`# console-app: metrics page DOM interactive ${t.domInteractive} ms, charts drawn ${t.charts} ms after navigation\n`);
  assert.ok(t.charts < 10_000, `the metrics page is usable within 10 s (${t.charts} ms)`);
  await pg.close();
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await phone.addCookies((await owner.storageState()).cookies);
  const ph = await phone.newPage();
  for (const tab of ['metrics', 'domains', 'deps']) {
    await ph.goto(`${p.apiUrl}/console/apps/${APP}/${tab}`);
    await ph.locator('main h2').first().waitFor();
    await ph.locator('.progress').first().waitFor({ state: 'detached' });
    const overflow = await ph.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 390 px on ${tab} (${overflow} px too wide)`);
    await accessible(ph, `${tab} at 390 px, dark`);
  }
  await ph.goto(`${p.apiUrl}/console/apps/${APP}/metrics`);
  await ph.getByTestId('chart-rps').waitFor();
  await screenshot(ph, 'app-metrics-390-dark');
  await phone.close();
});

test("a destroyed app's charts do not reach the next owner of its name, another team's member", { timeout: 300_000 }, async () => {
  const before = (await api('GET', `/apps/${APP}/metrics/timeline`, tokens.olga!)) as { points: Array<{ rps: number | null }> };
  assert.ok(
    before.points.some((pt) => (pt.rps ?? 0) > 0),
    'the app has request history',
  );
  await api('DELETE', `/apps/${APP}`, tokens.olga!);
  const xena = (await api('POST', '/users', p.token, { name: 'xena', password: 'xena-password-1' })).token as string;
  await api('POST', '/teams', xena, { name: 'team-x' });
  await api('POST', '/apps', xena, { name: APP, team: 'team-x' });
  const after = (await api('GET', `/apps/${APP}/metrics/timeline`, xena)) as { points: Array<{ rps: number | null; types: object }> };
  assert.deepEqual(
    after.points.filter((pt) => (pt.rps ?? 0) > 0 || Object.keys(pt.types).length > 0),
    [],
    'no requests, CPU or memory of the old app',
  );
  // And olga, no longer able to see the name, gets the API's "not found".
  const res = await fetch(`${p.apiUrl}/apps/${APP}/metrics/timeline`, { headers: { authorization: `Bearer ${tokens.olga}` } });
  assert.equal(res.status, 404);
});
