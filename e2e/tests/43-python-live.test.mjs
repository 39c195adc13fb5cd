// Live mode: the preset's LIVE switch sends real HTTP through pyodide.http.pyfetch. The
// test answers the AniList requests itself, so it runs offline; Reset then gives a fresh
// interpreter that runs the next program.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { waitForPyStatus, waitForPython } from './python-helpers.mjs';

test('live requests go out through pyfetch, and Reset starts a fresh interpreter', { timeout: 120_000 }, async () => {
  await withApp('/python?preset=gather-pitfall', async (app) => {
    const { page, context } = app;
    const asked = [];
    await context.route('https://graphql.anilist.co/**', async (route) => {
      const { variables } = JSON.parse(route.request().postData());
      asked.push(variables.id);
      await new Promise((r) => setTimeout(r, 100));
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' },
        body: JSON.stringify({ data: { Media: { id: variables.id, title: { romaji: `romaji ${variables.id}`, english: `english ${variables.id}`, native: null } } } }),
      });
    });
    await waitForPython(page);
    await page.locator(testId('py-live')).check();
    assert.match(page.url(), /[?&]code=/, 'the edited program is in the link');
    assert.match(await page.locator('.cm-content').innerText(), /LIVE = True/);
    await page.locator(testId('py-run')).click();
    const json = await waitForPyStatus(page, ['done', 'error'], 60_000);
    assert.equal(json.status, 'done', JSON.stringify(json));
    assert.equal(asked.length, 15, `requests: ${asked}`);
    assert.match(json.stdout, /^100 english 100$/m);
    assert.match(json.stdout, /^626 english 626$/m);
    assert.equal(json.preset, 'gather-pitfall', 'the live switch keeps the preset it belongs to');

    await page.locator(testId('py-reset')).click();
    await page.locator(testId('py-replaced')).waitFor({ state: 'visible' });
    assert.match(await page.locator(testId('py-replaced')).innerText(), /reset/);
    await waitForPython(page);
    await page.locator(testId('py-live')).uncheck();
    assert.match(page.url(), /[?&]preset=gather-pitfall/);
    await page.locator(testId('py-run')).click();
    const again = await waitForPyStatus(page, ['done', 'error'], 60_000);
    assert.match(again.stdout, /^100 stand-in title #100$/m);
    assert.equal(asked.length, 15, 'the stand-in sent requests');
  });
});
