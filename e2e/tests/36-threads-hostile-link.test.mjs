import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';
import { waitForThreadsLab, waitForSimulated } from './threads-helpers.mjs';

const HOSTILE =
  '/threads?preset=<img src=x onerror=alert(1)>&src=thread%20t%3A%0A%20%20%20%20io(&exec=fibers&switch=0' +
  '&cores=999&workers=-1&interp=py2&seed=abc&zzz=1';

test('a hostile threads link is reported, not executed, and the page still simulates', { timeout: 120_000 }, async () => {
  await withApp(HOSTILE, async ({ page, diag }) => {
    const box = page.locator(testId('link-errors'));
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    await waitForThreadsLab(page);
    const text = await box.innerText();
    for (const key of ['preset', 'src', 'exec', 'switch', 'cores', 'workers', 'interp', 'seed', 'zzz']) {
      assert.match(text, new RegExp(`\\b${key}\\b`), `link-errors does not mention "${key}":\n${text}`);
    }
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'an element from the link ended up in the DOM');
    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');

    const idle = await readResults(page);
    assert.equal(idle.preset, 'cpu-threads', `the default preset stands in: ${JSON.stringify(idle)}`);
    await page.locator(testId('run')).click();
    const json = await waitForSimulated(page);
    assert.ok(json.speedup > 0.9 && json.speedup < 1.0, `the default experiment ran: ${JSON.stringify(json)}`);

    // Bad typing is refused with a message; the earlier results stay.
    await page.locator(testId('threads-switch')).fill('0');
    const errors = page.locator(testId('validation-errors'));
    await errors.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await errors.innerText(), /switch interval/i);
    assert.equal(await page.locator(testId('run')).isDisabled(), true, 'run stays enabled with a bad switch interval');
    assert.equal((await readResults(page)).wallMs, json.wallMs, 'the earlier results were lost');

    // A workload that does not parse says where, and keeps the last good one.
    await page.locator(testId('threads-source')).fill('thread t:\n    compute(');
    await page.locator(testId('threads-apply')).click();
    const parse = page.locator(testId('threads-parse-error'));
    await parse.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await parse.innerText(), /Line 2/);
    assertNoPageErrors(page);
  });
});
