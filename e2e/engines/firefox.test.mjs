// Firefox ESR (Debian's firefox-esr) through Playwright's WebDriver BiDi: every lab, the
// Python lab's asyncio, process-pool and threads presets, a hostile link; then the same
// site without isolation headers, where the service worker must add them.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { firefox } from 'playwright-core';
import { startServer, APP_ROOT, assertBuilt } from '../lib.mjs';
import { startHost } from '../hosts.mjs';
import { runEngineSuite, features, waitForResults, playwrightDriver } from './suite.mjs';

export const FIREFOX_PATH = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

async function withFirefox(fn) {
  // Playwright's own Firefox cannot be downloaded here; stock Firefox speaks WebDriver BiDi.
  const browser = await firefox.launch({ channel: 'moz-firefox', executablePath: FIREFOX_PATH, headless: true });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && /panicked|unreachable|deprecated parameters/i.test(m.text()) && errors.push(m.text()));
    const driver = playwrightDriver(page, `Firefox ${browser.version()}`);
    await fn(driver, page);
    assert.deepEqual(errors, [], 'page errors, panics or deprecation warnings');
  } finally {
    await browser.close();
  }
}

test('Firefox: every lab, the Python presets and a hostile link', { timeout: 600_000, skip: !fs.existsSync(FIREFOX_PATH) && 'firefox-esr is not installed' }, async () => {
  assertBuilt(APP_ROOT);
  const server = await startServer({ root: APP_ROOT, isolated: true });
  try {
    await withFirefox(async (driver) => {
      const record = await runEngineSuite(driver, {
        site: `${server.url}/`,
        engine: 'firefox',
        expect: { isolated: true, sharedArrayBuffer: true, jspi: true },
      });
      assert.equal(record.cpuWorkers, 2);
    });
  } finally {
    await server.close();
  }
});

test('Firefox: a host without headers at a subpath, isolated by the service worker', { timeout: 180_000, skip: !fs.existsSync(FIREFOX_PATH) && 'firefox-esr is not installed' }, async () => {
  assertBuilt(APP_ROOT);
  const host = await startHost({ kind: 'pages', prefix: '/course/playground/', root: APP_ROOT });
  try {
    await withFirefox(async (driver, page) => {
      await driver.goto(`${host.siteUrl}cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1`);
      await page.waitForFunction(() => self.crossOriginIsolated === true, null, { timeout: 60_000 });
      const json = await waitForResults(driver, ['done'], 60_000);
      assert.equal(json.workers, 2, JSON.stringify(json));
      assert.ok((await features(driver)).sharedArrayBuffer);
    });
    assert.deepEqual(host.requests.filter((r) => !r.startsWith('/course/playground/')), []);
  } finally {
    await host.close();
  }
});

// A first visit to the Python lab registers the service worker while the lab's ticker
// worker waits in Atomics.wait. Firefox settles clients.claim() only when every client has
// answered, so a service worker that waited for its claim stayed "activating", and the
// next page waited for it (more than 15 s, in 5 of 6 tries).
test('Firefox: after a first visit to the Python lab, the next page opens at once', { timeout: 180_000, skip: !fs.existsSync(FIREFOX_PATH) && 'firefox-esr is not installed' }, async () => {
  assertBuilt(APP_ROOT);
  const server = await startServer({ root: APP_ROOT, isolated: true });
  try {
    await withFirefox(async (driver, page) => {
      await driver.goto(`${server.url}/python?preset=bank-lock`);
      await page.locator('[data-testid="py-ready"]').waitFor({ timeout: 120_000 });
      const state = () =>
        page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state ?? 'none');
      await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.active != null, null, { timeout: 30_000 });
      await page.goto(`${server.url}/race`, { timeout: 20_000 });
      await page.locator('main').waitFor({ timeout: 20_000 });
      assert.equal(await state(), 'activated');
    });
  } finally {
    await server.close();
  }
});
