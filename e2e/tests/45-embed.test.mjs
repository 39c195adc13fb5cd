// Embed form: embed=1 shows a lab without the site's header and navigation, with a link
// that opens the same experiment on the full site; "Copy embed code" gives the <iframe>.
// Inside the frame of a page that is not isolated, the embed runs on one thread and says so.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withApp, testId, waitForStatus, startServer } from '../lib.mjs';

const EXPERIMENT = 'mode=parallel&k=all&iters=1000&tasks=2-38,5-50,68-83';

test('an embed link renders the lab alone, and its open link follows the experiment', { timeout: 90_000 }, async () => {
  await withApp(`/cpu?${EXPERIMENT}&embed=1`, async (app) => {
    const { page } = app;
    const open = page.locator(testId('embed-open'));
    await open.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator(testId('nav-cpu')).count(), 0, 'the navigation is shown in embed form');
    assert.equal(await page.locator('footer').count(), 0);
    // The same experiment: the address bar's, without the flag.
    const params = (url) => {
      const u = new URL(url);
      u.searchParams.delete('embed');
      return JSON.stringify([u.origin, u.pathname, [...u.searchParams]]);
    };
    const sameAsAddressBar = async () => params(await open.getAttribute('href')) === params(page.url());
    assert.ok(await sameAsAddressBar(), `${await open.getAttribute('href')} against ${page.url()}`);
    assert.deepEqual(Object.fromEntries(new URL(await open.getAttribute('href')).searchParams), Object.fromEntries(new URLSearchParams(EXPERIMENT)));
    assert.equal(await open.getAttribute('target'), '_blank');
    assert.equal(await page.locator(testId('link-errors')).count(), 0, 'embed is not an unknown parameter of the lab');
    // The experiment works, and a change of setting moves both the address bar and the link.
    await page.locator(testId('run')).click();
    const json = await waitForStatus(page, ['done'], 60_000);
    assert.equal(json.tasks.length, 3);
    await page.locator(testId('cpu-iterations')).fill('2000');
    await page.waitForFunction(() => /iters=2000/.test(document.querySelector('[data-testid="embed-open"]').href));
    assert.equal(new URL(page.url()).searchParams.get('embed'), '1', 'the address bar lost the embed flag');
    assert.ok(await sameAsAddressBar(), `${await open.getAttribute('href')} against ${page.url()}`);
  });
});

test('Copy embed code gives an iframe of the same experiment, which fits without the site', { timeout: 90_000 }, async () => {
  await withApp(`/cpu?${EXPERIMENT}`, { contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] } }, async (app) => {
    const { page } = app;
    await page.locator(testId('copy-embed')).click();
    await page.locator(testId('copy-status')).waitFor({ state: 'visible' });
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    const src = /^<iframe src="([^"]+)" width="700" height="500"/.exec(snippet)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(src, `not an iframe snippet: ${snippet}`);
    const shared = new URL(await page.locator(testId('share-url')).inputValue());
    assert.equal(src, `${shared.href}&embed=1`, 'the frame shows what the link shows');
    assert.equal(shared.searchParams.get('run'), '1');
    assert.match(snippet, /allow="cross-origin-isolated/);

    // The snippet in a page of its own that is cross-origin isolated: the frame is too,
    // and has its workers.
    await page.setViewportSize({ width: 760, height: 600 });
    const framed = `<!doctype html><body style="margin:0">${snippet.replace('loading="lazy"', '')}</body>`;
    await page.setContent(framed);
    let frame = page.frameLocator('iframe');
    await frame.locator('main[data-pool="ready"]').waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.frames()[1].evaluate(() => self.crossOriginIsolated), true);
    // In a course page of another site that is not isolated, the frame runs the experiment
    // on one thread and says why in its sentence.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embed-parent-'));
    fs.writeFileSync(path.join(dir, 'course.html'), framed);
    const course = await startServer({ root: dir, isolated: false });
    try {
      await page.goto(`${course.url}/course.html`);
      frame = page.frameLocator('iframe');
      await frame.locator(testId('embed-open')).waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await frame.locator(testId('coi-notice')).innerText(), /frame is not cross-origin isolated/);
      await frame.locator(testId('results-json')).filter({ hasText: '"status": "done"' }).waitFor({ state: 'attached', timeout: 60_000 });
      const inner = await page.frames()[1].evaluate(() => ({ width: document.documentElement.scrollWidth, nav: document.querySelectorAll('nav').length }));
      assert.equal(inner.nav, 0);
      assert.ok(inner.width <= 700, `the embed is ${inner.width} px wide in a 700 px frame`);
    } finally {
      await course.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
