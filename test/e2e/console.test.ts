// The web console end to end in a real browser (Debian's chromium) against the real platform (ybd, etcd, Docker,
// git): sign in, create an app, git push from a terminal while the app page shows the build live, see it running,
// set a config var and watch the new release, scale web to 2, roll back, read live logs; a viewer sees no controls
// (and the API refuses when forced); another team's member gets "not found". axe-core on every page: no serious or
// critical violation. Measures the app page's time to interactive and the console's compressed JS size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../helpers/platform.js';
import { until } from '../helpers/until.js';
import { apiAs, assertAccessible, launchBrowser, screenshot, signInAs } from './browser.js';

let p: Platform;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
const PASSWORDS: Record<string, string> = { olga: 'olga-password-1', vic: 'vic-password-1', xena: 'xena-password-1', ursula: 'ursula-password-1' };
const tokens: Record<string, string> = {};
const APP = 'hello';

const api = (method: string, path: string, token: string, body?: unknown) => apiAs(p.apiUrl, method, path, token, body);
const accessible = assertAccessible;
const signIn = (ctx: BrowserContext, name: string) => signInAs(ctx, p.apiUrl, name, PASSWORDS[name]!);

before(async () => {
  p = await startPlatform();
  for (const [name, password] of Object.entries(PASSWORDS)) tokens[name] = (await api('POST', '/users', p.token, { name, password })).token;
  await api('POST', '/teams', tokens.olga!, { name: 'team-m' });
  await api('POST', '/teams/team-m/members', tokens.olga!, { user: 'vic', role: 'viewer' });
  await api('POST', '/teams', tokens.xena!, { name: 'team-x' });
  browser = await launchBrowser();
  owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
});

after(async () => {
  await browser?.close();
  await p?.stop();
});

test('the console is served at / with a sign-in page that passes axe', async () => {
  const pg = await owner.newPage();
  const res = await pg.goto(`${p.apiUrl}/`);
  assert.equal(res?.status(), 200);
  await pg.getByRole('heading', { name: 'Sign in to Yunbang' }).waitFor();
  await accessible(pg, 'sign-in');
  await screenshot(pg, 'sign-in');
  // A wrong password shows the API's own sentence.
  await pg.getByLabel('User name').fill('olga');
  await pg.getByLabel('Password').fill('not the password');
  await pg.getByRole('button', { name: 'Sign in' }).click();
  await pg.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
  await pg.close();
});

test('sign in, see the empty state, create an app and get the exact push commands', async () => {
  page = await signIn(owner, 'olga');
  await page.getByText('No apps yet').waitFor();
  await accessible(page, 'apps overview (empty)');
  const cookies = await owner.cookies();
  const session = cookies.find((c) => c.name === 'yb_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session?.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the session cookie');

  await page.getByRole('link', { name: 'Create your first app' }).click();
  await page.getByRole('heading', { name: 'Create an app' }).waitFor();
  await accessible(page, 'create app');
  await page.getByLabel('Name', { exact: true }).fill(APP);
  await page.getByLabel('Team').selectOption('team-m');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: `${APP} is ready for its first push` }).waitFor();
  const commands = await page.locator('pre.commands').textContent();
  assert.equal(commands, `git remote add yb ${p.apiUrl}/git/${APP}.git\ngit push yb main`);
  await accessible(page, 'app created');
  await screenshot(page, 'create-app');
});

test('a git push from a terminal streams into the app page live, then the app runs', { timeout: 600_000 }, async () => {
  await page.getByRole('link', { name: 'app page' }).click();
  await page.getByText('Waiting for a push').waitFor();
  assert.equal(new URL(page.url()).pathname, `/console/apps/${APP}`);
  const repo = await fixtureRepo('node-hello', p.dataDir);
  const u = new URL(p.apiUrl);
  let pushEnded = false;
  const pushing = git(repo, ['push', `http://olga:${tokens.olga}@${u.host}/git/${APP}.git`, 'main']).finally(() => (pushEnded = true));
  const output = page.getByTestId('deploy-output');
  await output.filter({ hasText: 'Node.js app detected' }).waitFor({ timeout: 300_000 });
  assert.equal(pushEnded, false, 'the page shows the build while the push is still running');
  await screenshot(page, 'app-deploying');
  const push = await pushing;
  assert.equal(push.code, 0, push.output);
  await output.filter({ hasText: 'v1 is live at' }).waitFor();
  await page.locator('#deploy-h .badge', { hasText: 'succeeded' }).waitFor();
  await page.locator('.dynos li', { hasText: 'web.1' }).filter({ hasText: 'up' }).waitFor();
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'hello from yunbang world');
  await accessible(page, 'app page');
  await screenshot(page, 'app-page');
});

test('set a config var: the value is masked until revealed, a new release appears and the app serves it', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Config vars' }).click();
  await page.getByText('No config vars yet').waitFor();
  await page.getByLabel('Name').fill('GREETING');
  await page.getByLabel('Value').fill('from-the-console');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await page.getByTestId('value-GREETING').waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('value-GREETING').textContent(), '••••••••');
  await page.getByRole('button', { name: 'Reveal GREETING' }).click();
  assert.equal(await page.getByTestId('value-GREETING').textContent(), 'from-the-console');
  await accessible(page, 'config vars');
  await screenshot(page, 'config-vars');
  await page.getByRole('link', { name: 'Releases' }).click();
  await page.locator('tr.current', { hasText: 'v2' }).filter({ hasText: 'GREETING' }).waitFor();
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'hello from yunbang from-the-console');
});

test('scale web to 2 from the page', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Processes & deploys' }).click();
  await page.getByLabel('Quantity of web').fill('2');
  await page.getByRole('button', { name: 'Scale' }).click();
  await page.getByRole('status').filter({ hasText: 'Scaling web to 2' }).waitFor();
  await page.locator('.dynos li', { hasText: 'web.2' }).filter({ hasText: 'up' }).waitFor({ timeout: 120_000 });
  const formation = await api('GET', `/apps/${APP}/formation`, tokens.olga!);
  assert.equal(formation.find((f: { type: string }) => f.type === 'web').quantity, 2);
  // Restart web: new containers replace both processes, without downtime.
  const before = ((await api('GET', `/apps/${APP}/dynos`, tokens.olga!)) as Array<{ container: string }>).map((d) => d.container).sort();
  await page.getByRole('button', { name: 'Restart web' }).click();
  await page.getByRole('status').filter({ hasText: 'Restarting web' }).waitFor();
  await until(
    'web restarted with new containers',
    async () => {
      const now = ((await api('GET', `/apps/${APP}/dynos`, tokens.olga!)) as Array<{ container: string; state: string }>).filter((d) => d.state === 'up');
      return now.length === 2 && now.every((d) => !before.includes(d.container));
    },
    120_000,
  );
  await page.getByRole('status').filter({ hasText: 'Restarting web' }).waitFor({ state: 'detached', timeout: 120_000 });
  assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
  // Stop all (after confirming): no process left and the router answers 503; Start all brings both back.
  await page.getByRole('button', { name: 'Stop all' }).click();
  await page.getByRole('button', { name: `Yes, stop ${APP}` }).click();
  await until('every process stopped', async () => ((await api('GET', `/apps/${APP}/dynos`, tokens.olga!)) as unknown[]).length === 0, 120_000);
  await until('the router to answer 503', async () => (await p.fetchApp(`${APP}.localhost`)).status === 503, 30_000);
  await page.getByRole('button', { name: 'Start all' }).click();
  await page.locator('.dynos li', { hasText: 'web.2' }).filter({ hasText: 'up' }).waitFor({ timeout: 120_000 });
  await until('the app to answer again', async () => (await p.fetchApp(`${APP}.localhost`)).status === 200, 60_000);
});

test('roll back to v1 after confirming', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Releases' }).click();
  await page.getByRole('button', { name: 'Roll back to v1' }).click();
  await page.getByRole('button', { name: 'Yes, roll back' }).click();
  await page.locator('tr.current', { hasText: 'v3' }).waitFor({ timeout: 120_000 });
  // The builds under the releases: the detected language, and each build's full output behind its link.
  const build = page.locator('section[aria-labelledby="builds-h"] tbody tr').first();
  await build.filter({ hasText: /node/i }).filter({ hasText: 'succeeded' }).waitFor();
  const href = await build.getByRole('link').getAttribute('href');
  const output = await page.evaluate(async (u) => (await fetch(u!)).text(), href);
  assert.match(output, /Node\.js app detected/);
  await accessible(page, 'releases');
  await screenshot(page, 'releases');
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'hello from yunbang world');
});

test('live logs follow new lines, filter by source and pause', { timeout: 120_000 }, async () => {
  await page.getByRole('link', { name: 'Logs' }).click();
  const logs = page.getByTestId('log-lines');
  await logs.filter({ hasText: /app\[web\.\d\]/ }).waitFor();
  // A request made now shows up as a router line while the page is open.
  const marker = `/console-e2e-${Date.now()}`;
  await p.fetchApp(`${APP}.localhost`, marker);
  await logs.filter({ hasText: marker }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Source').selectOption('router');
  await logs.filter({ hasText: marker }).waitFor();
  assert.doesNotMatch((await logs.textContent()) ?? '', /app\[web/, 'only router lines');
  await page.getByRole('button', { name: 'Pause' }).click();
  const frozen = await logs.textContent();
  const held = `/console-e2e-held-${Date.now()}`;
  await p.fetchApp(`${APP}.localhost`, held);
  await page.getByRole('heading', { name: /Logs paused/ }).waitFor();
  assert.equal(await logs.textContent(), frozen, 'a paused view does not move');
  await page.getByRole('button', { name: 'Follow' }).click();
  await logs.filter({ hasText: held }).waitFor({ timeout: 30_000 });
  await accessible(page, 'logs');
  await screenshot(page, 'logs');
});

test('maintenance mode from the page after confirming: 503 through the router, then served again; cron jobs and storage shown', {
  timeout: 120_000,
}, async () => {
  await page.getByRole('link', { name: 'Maintenance, jobs & storage' }).click();
  await page.getByText(`${APP} is serving requests.`).waitFor();
  await page.getByText('No cron jobs').waitFor();
  await page.getByText('No volume is mounted').waitFor();
  await accessible(page, 'maintenance, jobs and storage');
  await page.getByRole('button', { name: 'Turn maintenance on' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await p.fetchApp(`${APP}.localhost`)).status, 200, 'nothing changes without confirming');
  await page.getByRole('button', { name: 'Turn maintenance on' }).click();
  await page.getByRole('button', { name: 'Yes, turn it on' }).click();
  await page.getByText(`${APP} is down for maintenance`, { exact: false }).waitFor();
  await until('the router answers 503', async () => (await p.fetchApp(`${APP}.localhost`)).status === 503);
  await screenshot(page, 'maintenance');
  await page.getByRole('button', { name: 'Turn maintenance off' }).click();
  await page.getByText(`${APP} is serving requests.`).waitFor();
  await until('served again', async () => (await p.fetchApp(`${APP}.localhost`)).status === 200);
});

test('time to interactive of the app page, and the compressed size of the console JS', async () => {
  const pg = await owner.newPage();
  await pg.goto(`${p.apiUrl}/console/apps/${APP}`);
  await pg.locator('.dynos li', { hasText: 'web.1' }).waitFor();
  const t = await pg.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { domInteractive: Math.round(nav.domInteractive), loaded: Math.round(nav.loadEventEnd), ready: Math.round(performance.now()) };
  });
  const assets = join(ROOT, 'console', 'dist', 'assets');
  // The first load: what index.html names (lazy chunks, like the terminal's, come later; console-admin.test sizes them).
  const html = readFileSync(join(ROOT, 'console', 'dist', 'index.html'), 'utf8');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js') && html.includes(`/assets/${f}`));
  const gz = js.reduce((n, f) => n + gzipSync(readFileSync(join(assets, f))).length, 0);
  process.stdout.write(
    `# console: app page DOM interactive ${t.domInteractive} ms, load ${t.loaded} ms, processes shown ${t.ready} ms after navigation; first-load JS ${js.length} file(s), ${(gz / 1024).toFixed(1)} KiB gzip\n`,
  );
  assert.ok(gz <= 200 * 1024, `the console's first-load JS is at most 200 KiB compressed (${gz} bytes)`);
  assert.ok(t.ready < 10_000, `the app page is usable within 10 s (${t.ready} ms)`);
  // A reload of a deep link gets the page, and hashed assets are cached for good.
  const reload = await pg.reload();
  assert.equal(reload?.status(), 200);
  const asset = await fetch(`${p.apiUrl}/assets/${js[0]}`);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  await pg.close();
});

test('narrow screens (390 px) and dark mode stay readable', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  const state = await owner.storageState();
  await phone.addCookies(state.cookies);
  const pg = await phone.newPage();
  await pg.goto(`${p.apiUrl}/`);
  await pg.getByRole('link', { name: APP, exact: true }).waitFor();
  const overflow = await pg.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 390 px (${overflow} px too wide)`);
  await accessible(pg, 'apps overview at 390 px, dark');
  await screenshot(pg, 'apps-390-dark');
  await phone.close();
  await page.goto(`${p.apiUrl}/`);
  await page.getByRole('link', { name: APP, exact: true }).waitFor();
  await page.locator('table.apps .badge', { hasText: 'running' }).waitFor();
  await accessible(page, 'apps overview');
  await screenshot(page, 'apps');
});

test('a viewer sees read-only pages, and the API refuses a forced change', { timeout: 300_000 }, async () => {
  // The rollback to v1 took its config back too: give the app a secret again for the viewer not to see.
  await api('PATCH', `/apps/${APP}/config-vars`, tokens.olga!, { GREETING: 'from-the-console' });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pg = await signIn(ctx, 'vic');
  await pg.getByRole('link', { name: APP, exact: true }).click();
  await pg.getByText('(read only)').waitFor();
  await pg.locator('.dynos li', { hasText: 'web.1' }).waitFor();
  assert.equal(await pg.getByRole('button', { name: /Scale|Restart|Stop all|Start all/ }).count(), 0, 'no scale, restart, stop or start controls');
  await accessible(pg, 'app page as viewer');
  await pg.getByRole('link', { name: 'Releases' }).click();
  await pg.locator('tr', { hasText: 'v1' }).first().waitFor();
  assert.equal(await pg.getByRole('button', { name: /Roll back/ }).count(), 0, 'no rollback control');
  await pg.getByRole('link', { name: 'Config vars' }).click();
  await pg.getByText('hidden from viewers').waitFor();
  assert.equal(await pg.getByTestId('value-GREETING').textContent(), '••••••••');
  assert.equal(await pg.getByRole('button', { name: /Reveal|Unset|Set/ }).count(), 0);
  assert.doesNotMatch(await pg.content(), /from-the-console/, 'the secret value never reaches a viewer');
  await pg.getByRole('link', { name: 'Maintenance, jobs & storage' }).click();
  await pg.getByText(`${APP} is serving requests.`).waitFor();
  assert.equal(await pg.getByRole('button', { name: /maintenance|Run/ }).count(), 0, 'no maintenance or cron controls');
  // Forced through the page's own session and CSRF token, the API still says no.
  const forced = await pg.evaluate(async (app) => {
    const s = (await (await fetch('/session')).json()) as { csrfToken: string };
    const r = await fetch(`/apps/${app}/config-vars`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken },
      body: JSON.stringify({ GREETING: 'viewer-was-here' }),
    });
    return { status: r.status, body: await r.json() };
  }, APP);
  assert.equal(forced.status, 403);
  assert.match(forced.body.message, /your role does not allow manage/);
  await ctx.close();
});

test("another team's member gets not found for the app and an empty overview", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pg = await signIn(ctx, 'xena');
  await pg.getByText('No apps yet').waitFor();
  await pg.goto(`${p.apiUrl}/console/apps/${APP}`);
  await pg
    .getByRole('alert')
    .filter({ hasText: `no app named "${APP}"` })
    .waitFor();
  await accessible(pg, 'app not found');
  await ctx.close();
});

test('services: create a redis, link it to the app (new release with REDIS_URL), unlink it', { timeout: 300_000 }, async () => {
  await page.getByRole('link', { name: 'Services', exact: true }).click();
  await page.getByText('No services yet').waitFor();
  await page.getByLabel('Service name').fill('cache');
  await page.locator('select[name="kind"]').selectOption('redis');
  await page.getByRole('button', { name: 'Create service' }).click();
  await page.getByRole('status').filter({ hasText: 'Creating redis cache' }).waitFor();
  const card = page.locator('section', { has: page.getByRole('heading', { name: /^cache/ }) });
  await card.getByRole('button', { name: 'Link cache' }).waitFor({ timeout: 120_000 });
  await card.getByRole('button', { name: 'Link cache' }).click();
  await card.getByText('linked to hello as REDIS_URL').waitFor({ timeout: 120_000 });
  const config = await api('GET', `/apps/${APP}/config-vars`, tokens.olga!);
  assert.match(config.REDIS_URL, /^redis:\/\//);
  await accessible(page, 'services');
  await screenshot(page, 'services');
  await card.getByRole('button', { name: `Unlink from ${APP}` }).click();
  await card.getByText('Not linked to any app.').waitFor({ timeout: 120_000 });
  assert.equal((await api('GET', `/apps/${APP}/config-vars`, tokens.olga!)).REDIS_URL, undefined);
});

test('teams: an owner adds a member, changes the role and removes them', async () => {
  await page.getByRole('link', { name: 'Teams', exact: true }).click();
  const card = page.locator('section', { has: page.getByRole('heading', { name: /^team-m/ }) });
  await card.getByRole('cell', { name: 'vic', exact: true }).waitFor();
  await card.getByLabel('User name').fill('ursula');
  await card.locator('select[name="role"]').selectOption('member');
  await card.getByRole('button', { name: 'Add to team-m' }).click();
  await card.getByRole('button', { name: 'Remove ursula' }).waitFor();
  await card.getByLabel('Role of ursula').selectOption('viewer');
  await until('ursula to be a viewer', async () => {
    const members = (await api('GET', '/teams/team-m/members', tokens.olga!)) as Array<{ user: string; role: string }>;
    return members.find((m) => m.user === 'ursula')?.role === 'viewer';
  });
  await accessible(page, 'teams');
  await screenshot(page, 'teams');
  await card.getByRole('button', { name: 'Remove ursula' }).click();
  await card.getByRole('cell', { name: 'ursula', exact: true }).waitFor({ state: 'detached' });
  // An unknown user is the API's one sentence.
  await card.getByLabel('User name').fill('nobody-here');
  await card.getByRole('button', { name: 'Add to team-m' }).click();
  await card.getByRole('alert').waitFor();
});

test('tokens: create one (shown once, and it works), then revoke it (and it stops working)', async () => {
  await page.getByRole('link', { name: 'Tokens', exact: true }).click();
  await page.getByLabel('Description').fill('from the console');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = (await page.getByTestId('new-token').textContent())!.trim();
  assert.match(shown, /^yb_/);
  const res = await fetch(`${p.apiUrl}/account`, { headers: { authorization: `Bearer ${shown}` } });
  assert.equal(res.status, 200);
  const row = page.locator('tr', { hasText: 'from the console' });
  await row.waitFor();
  await accessible(page, 'tokens');
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await fetch(`${p.apiUrl}/account`, { headers: { authorization: `Bearer ${shown}` } })).status, 401);
});

test('signing out ends the session on the server: the old cookie no longer works', async () => {
  const before = (await owner.cookies()).find((c) => c.name === 'yb_session')!;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Yunbang' }).waitFor();
  const r = await fetch(`${p.apiUrl}/apps`, { headers: { cookie: `yb_session=${before.value}` } });
  assert.equal(r.status, 401);
});
