import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, waitForAioLab, waitForRunEnabled } from './aio-helpers.mjs';
import { clickAndWaitForDone, queryOf } from './cpu-helpers.mjs';

test('the timing pitfall: creating coroutines is instant, running them is not', { timeout: 90_000 }, async () => {
  await withApp('/async', async ({ page }) => {
    await waitForAioLab(page);
    await page.locator(testId('preset-gather')).click();
    await waitForRunEnabled(page);
    const q = queryOf(page);
    assert.equal(q.get('mode'), 'gather', `address bar after the gather preset: ${page.url()}`);
    assert.equal(q.get('k'), '0', `address bar after the gather preset: ${page.url()}`);

    const json = await clickAndWaitForDone(page, 'run', { timeout: 30_000 });
    const dump = JSON.stringify(json);
    assertRequestsRun(json, { n: 15, mode: 'gather' });
    assert.ok(typeof json.creationMs === 'number' && json.creationMs >= 0, `creationMs: ${dump}`);
    assert.ok(json.creationMs < 5, `creating 15 coroutines took ${json.creationMs} ms: ${dump}`);
    assert.ok(json.wallMs > 500, `wallMs ${json.wallMs}: the requests cannot have run in so little time: ${dump}`);

    const pitfall = page.locator(testId('aio-pitfall'));
    await pitfall.waitFor({ state: 'visible', timeout: 5_000 });
    const text = await pitfall.innerText();
    assert.match(text, /Creating the 15 coroutines/, `aio-pitfall: ${text}`);
    assert.match(text, /3\.1e-06/, `aio-pitfall: ${text}`);
    // The sentence quotes this run's wall time, not the creation time. The page rounds the
    // JSON's figure with halves up (core::lab::whole_ms), as Math.round does.
    assert.ok(text.includes(`${Math.round(json.wallMs)} ms`), `aio-pitfall does not give the wall time ${json.wallMs}: ${text}`);
    assertNoPageErrors(page);
  });
});
