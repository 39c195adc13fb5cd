// One release build, unchanged, on hosts without headers or rewrite rules and under a
// subpath: a GitHub-Pages-like host at /course/playground/ and an nginx-like one at / (see
// ../hosts.mjs). A first visit by each lab's run=1 link reaches its end; once the service
// worker is in, the page is cross-origin isolated and computes on two workers; every URL
// the app makes stays inside the site; links, share links and the embed code name the
// site's root.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, APP_ROOT, assertBuilt, testId, waitForStatus, watchPage, assertNoPageErrors, describeDiagnostics } from '../lib.mjs';
import { startHost } from '../hosts.mjs';
import { freePort } from '../webdriver.mjs';
import { FIRST_VISITS } from '../first-visits.mjs';

const HOSTS = [
  { kind: 'pages', prefix: '/course/playground/' },
  { kind: 'nginx', prefix: '/' },
];

async function onHost({ kind, prefix, probed = null }, fn) {
  assertBuilt(APP_ROOT);
  const host = await startHost({ kind, prefix, root: APP_ROOT });
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    watchPage(page);
    // wasm-bindgen's warning about the pool workers' start (build.mjs mends the call).
    const deprecations = [];
    const onConsole = (m) => /deprecated parameters/.test(m.text()) && deprecations.push(m.text());
    page.on('console', onConsole);
    page.on('worker', (w) => w.on('console', onConsole));
    try {
      await fn({ host, page, context });
      assertNoPageErrors(page);
      assert.deepEqual(deprecations, [], 'deprecation warnings');
    } catch (error) {
      error.message += `\n--- page diagnostics ---\n${describeDiagnostics(page)}`;
      throw error;
    }
    const outside = host.requests.filter((r) => !r.startsWith(prefix) && !probed?.test(r));
    assert.deepEqual(outside, [], `requests outside ${prefix}`);
  } finally {
    await browser.close();
    await host.close();
  }
}

for (const spec of HOSTS) {
  test(`${spec.kind}-like host at ${spec.prefix}: every lab's first-visit run=1 link runs, with threads after the service worker`, { timeout: 300_000 }, async () => {
    await onHost(spec, async ({ host, page }) => {
      for (const [i, visit] of FIRST_VISITS.entries()) {
        await page.goto(host.siteUrl + visit.link);
        if (i === 0) {
          // The first visit: no headers, so the service worker adds them and the page
          // reloads once into isolation.
          await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 60_000 });
        }
        await page.locator('main[data-pool="ready"]').waitFor({ state: 'attached', timeout: 60_000 });
        const json = await waitForStatus(page, ['done'], visit.lab === 'python' ? 120_000 : 60_000);
        assert.ok(visit.check(json), `${visit.lab}: ${JSON.stringify(json).slice(0, 600)}`);
        assert.ok(json.link.startsWith(host.siteUrl + visit.lab), `${visit.lab} share link ${json.link}`);
        if (visit.lab === 'cpu') assert.equal(json.workers, 2, 'two workers once isolated');
        // The header's links stay under the site's root.
        const nav = await page.evaluate(() => [...document.querySelectorAll('header a')].map((a) => a.href));
        assert.ok(nav.length >= 6 && nav.every((h) => h.startsWith(host.siteUrl)), nav.join(' '));
        assert.ok(nav.includes(host.siteUrl), `the brand link ${nav[0]} is the site's root ${host.siteUrl}`);
        const styled = await page.evaluate(() => getComputedStyle(document.querySelector('.site-header')).display !== 'inline');
        assert.ok(styled, 'the stylesheet loaded');
      }
    });
  });
}

test('GitHub-Pages-like host: a folder link, an unknown path, a lab link without its slash, the embed code', { timeout: 120_000 }, async () => {
  await onHost({ kind: 'pages', prefix: '/course/playground/' }, async ({ host, page, context }) => {
    // Without the trailing slash the host redirects to the folder; the query survives.
    await page.goto(`${host.url}/course/playground/race?preset=bank-lock&mode=exhaustive&run=1`);
    await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 60_000 });
    const race = await waitForStatus(page, ['done'], 60_000);
    assert.equal(new URL(page.url()).pathname, '/course/playground/race/');
    assert.equal(race.preset ?? new URL(race.link).searchParams.get('preset'), 'bank-lock');
    // The site's root: the start page, and its lab links.
    await page.goto(host.siteUrl);
    await page.locator(testId('nav-cpu')).waitFor();
    await page.locator(`main a[href^="cpu"]`).first().click();
    await page.locator(testId('run')).waitFor({ timeout: 30_000 });
    assert.equal(new URL(page.url()).pathname, '/course/playground/cpu/');
    // Anything else: 404.html, which still finds the site's root and says what is wrong.
    await page.goto(`${host.siteUrl}no/such/page?x=1`);
    await page.locator(testId('not-found')).waitFor({ timeout: 30_000 });
    assert.match(await page.locator(testId('not-found')).innerText(), /no lab called .no\/such\/page./);
    await page.locator(testId('not-found')).getByRole('link').click();
    await page.waitForURL(host.siteUrl);
    // The embed code names the page under the site's root.
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(`${host.siteUrl}async?net=sim&n=4&lat=100&jitter=0&seed=1&mode=gather&k=2`);
    await page.locator(testId('copy-embed')).click();
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(snippet, new RegExp(`src="${host.siteUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}async\\?`), snippet);
  });
});

test('a site served from a folder named like a lab (/python/) still finds its start page and its labs', { timeout: 120_000 }, async () => {
  // The address /python/ reads first as the Python lab of a site at /: the loader tries
  // that reading's files (which are not there), then the start page of a site at /python/.
  const probed = /^\/(style|favicon|bundle-python)-[0-9a-f]{8,16}(_bg\.wasm|\.js|\.css|\.svg)$/;
  await onHost({ kind: 'pages', prefix: '/python/', probed }, async ({ host, page }) => {
    await page.goto(host.siteUrl);
    await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 60_000 });
    await page.locator(testId('nav-python')).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator(testId('load-failed')).count(), 0);
    assert.equal(await page.evaluate(() => document.querySelector('base').getAttribute('href')), '/python/');
    await page.goto(`${host.siteUrl}cpu?iters=1000&tasks=2-38&run=1`);
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.equal(json.tasks[0].result, '1187892022');
  });
});

test('Netlify/Cloudflare-like host (dist/_headers): isolated from the first load, no reload', { timeout: 120_000 }, async () => {
  await onHost({ kind: 'headers', prefix: '/' }, async ({ host, page }) => {
    await page.goto(`${host.siteUrl}cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1`);
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.equal(json.workers, 2);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('playground-isolation-reload')), null, 'the page reloaded for isolation it already had');
  });
});

test('python3 -m http.server in dist/ (and Caddy-like hosts): a deep link opens its lab', { timeout: 120_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const python = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port)], { cwd: APP_ROOT, stdio: 'ignore' });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    watchPage(page);
    const site = `http://127.0.0.1:${port}/`;
    for (let i = 0; ; i++) {
      try {
        await page.goto(`${site}race?preset=bank&mode=exhaustive&run=1`);
        break;
      } catch (error) {
        if (i > 50) throw error; // the server is still starting
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.ok(json.exhaustive.outcomes.length > 0);
    assert.equal(new URL(page.url()).pathname, '/race/');
    assertNoPageErrors(page);
  } finally {
    await browser.close();
    python.kill();
  }
  const host = await startHost({ kind: 'plain', prefix: '/pg/', root: APP_ROOT });
  const other = await launch();
  try {
    const page = await other.newPage();
    await page.goto(`${host.siteUrl}threads?preset=convoy&run=1`);
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.ok(json.threads.some((t) => t.name === 'io'));
  } finally {
    await other.close();
    await host.close();
  }
});
