import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';

test('app shell: header, nav, comparison table, cross-origin isolation', { timeout: 90_000 }, async () => {
  await withApp('/', async ({ page }) => {
    // The Yew app renders everything, so the header doubles as "wasm booted".
    const header = page
      .locator('header, [role="banner"], h1')
      .filter({ hasText: 'Concurrency Playground' })
      .first();
    await header.waitFor({ state: 'visible', timeout: 30_000 });

    const navCpu = page.locator(testId('nav-cpu'));
    await navCpu.waitFor({ state: 'visible', timeout: 5_000 });

    const table = page.locator(testId('comparison-table'));
    await table.waitFor({ state: 'visible', timeout: 5_000 });
    const tableText = await table.innerText();
    // innerText separates cells with tabs, so word boundaries work per cell.
    const rowTexts = await table.locator('tr, [role="row"]').allInnerTexts();
    for (const name of ['Threading', 'Multiprocessing', 'Asyncio']) {
      const re = new RegExp(`\\b${name}\\b`, 'i');
      assert.ok(
        rowTexts.some((row) => re.test(row)),
        `comparison table has no row for ${name}; its text:\n${tableText}`,
      );
    }

    assert.equal(
      await page.evaluate(() => self.crossOriginIsolated),
      true,
      'page is not crossOriginIsolated although the server sends COOP/COEP',
    );
    assert.equal(
      await page.locator(testId('coi-notice')).count(),
      0,
      'the cross-origin-isolation notice is shown on an isolated page',
    );

    await navCpu.click();
    await page.waitForURL((u) => u.pathname === '/cpu', { timeout: 10_000 });
    const json = await readResults(page, { timeout: 10_000 });
    assert.equal(json.lab, 'cpu', `results JSON on /cpu: ${JSON.stringify(json)}`);
    assert.equal(json.status, 'idle', `status before any run: ${JSON.stringify(json)}`);

    assertNoPageErrors(page);
  });
});
