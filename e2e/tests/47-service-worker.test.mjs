// The service worker: after one visit the app opens and runs offline; on a host that sends
// no COOP/COEP it adds them, and the page reloads once into cross-origin isolation with its
// workers; a new build's worker replaces the old build's cache.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withApp, testId, waitForStatus, startServer, launch, APP_ROOT } from '../lib.mjs';

const controlled = (page) => page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });

test('after one visit the app opens and runs a CPU preset offline', { timeout: 120_000 }, async () => {
  await withApp('/cpu', async (app) => {
    const { page, context } = app;
    await controlled(page);
    await page.locator(testId('run')).waitFor();
    await context.setOffline(true);
    try {
      await app.goto('/cpu?iters=1000&tasks=2-38,5-50&run=1');
      const json = await waitForStatus(page, ['done'], 60_000);
      assert.deepEqual(json.tasks.map((t) => t.result), ['1187892022', '233359746']);
      await app.goto('/race?preset=bank');
      await page.locator(testId('run')).waitFor({ timeout: 30_000 });
    } finally {
      await context.setOffline(false);
    }
  });
});

test('a host without COOP/COEP still ends cross-origin isolated, with two workers', { timeout: 120_000 }, async () => {
  await withApp('/cpu', { isolated: false }, async (app) => {
    const { page } = app;
    await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 30_000 });
    await page.locator('main[data-pool="ready"]').waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.locator(testId('coi-notice')).count(), 0);
    await app.goto('/cpu?iters=1000&tasks=2-38,5-50,68-83,14-57&run=1');
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.equal(json.workers, 2, JSON.stringify(json));
  });
});

test('a new build replaces the old build cache', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-build-'));
  fs.cpSync(APP_ROOT, root, { recursive: true, filter: (src) => !/\/pyodide(\/|$)/.test(src) });
  const server = await startServer({ root });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const shellCaches = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('shell-')));
    await page.goto(`${server.url}/race`);
    await controlled(page);
    await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('shell-')), null, { timeout: 30_000 });
    const [before] = await shellCaches();
    // The next deploy: another stylesheet, so another shell and another version.
    const sw = fs.readFileSync(path.join(root, 'sw.js'), 'utf8');
    const css = fs.readdirSync(root).find((f) => /^style-.*\.css$/.test(f));
    fs.copyFileSync(path.join(root, css), path.join(root, 'style-0000000000000000.css'));
    fs.appendFileSync(path.join(root, 'style-0000000000000000.css'), '\n/* next build */\n');
    fs.writeFileSync(path.join(root, 'sw.js'), sw.replace(/const VERSION = "[^"]+"/, 'const VERSION = "nextbuild0000000"').replace(`"${css}"`, '"style-0000000000000000.css"'));
    // Every copy of the page: the root's, each route's and 404.html.
    const pages = ['index.html', '404.html', ...fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'index.html'))).map((d) => `${d}/index.html`)];
    for (const file of pages) {
      // The page names its stylesheet inside the base script's string, quotes escaped;
      // the new file has other contents, so its integrity attribute goes.
      const html = fs
        .readFileSync(path.join(root, file), 'utf8')
        .replaceAll(css, 'style-0000000000000000.css')
        .replace(/(style-0000000000000000\.css\\?") integrity=\\?"[^"\\]*\\?"/, '$1');
      fs.writeFileSync(path.join(root, file), html);
      for (const packed of [`${file}.br`, `${file}.gz`]) fs.rmSync(path.join(root, packed), { force: true });
    }
    for (const f of fs.readdirSync(root)) if (/\.(br|gz)$/.test(f) && /^(sw\.js|style-)/.test(f)) fs.rmSync(path.join(root, f));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await page.waitForFunction(async () => (await caches.keys()).includes('shell-nextbuild0000000'), null, { timeout: 30_000 });
    await page.waitForFunction(async () => (await caches.keys()).filter((k) => k.startsWith('shell-')).length === 1, null, { timeout: 30_000 });
    assert.notEqual(before, 'shell-nextbuild0000000');
    await page.reload();
    await page.locator(testId('run')).waitFor({ timeout: 30_000 });
    const sheets = await page.evaluate(() => [...document.styleSheets].map((s) => s.href));
    assert.ok(sheets.some((h) => h?.endsWith('/style-0000000000000000.css')), `stylesheets after the update: ${sheets}`);
    await context.close();
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
