import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitForStatus, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, waitForAioLab, waitForRunEnabled } from './aio-helpers.mjs';

// Every parameter is wrong in its own way; url tries a javascript: link.
const HOSTILE = '/async?n=999999&url=javascript:alert(1)&mode=warp&fail=150&items=1,x&zzz=1&k=-1';

test('a hostile async link is reported, not executed, and the form still runs', { timeout: 90_000 }, async () => {
  await withApp(HOSTILE, async ({ page, diag }) => {
    const box = page.locator(testId('link-errors'));
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    await waitForAioLab(page);
    const text = await box.innerText();
    for (const key of ['n', 'url', 'mode', 'fail', 'items', 'zzz', 'k']) {
      assert.match(text, new RegExp(`(^|\\n)\\s*${key}\\b`, 'm'), `link-errors does not mention "${key}":\n${text}`);
    }

    // Nothing from the link became a link, a script or a dialog.
    const planted = await page.evaluate(() =>
      [...document.querySelectorAll('a[href], script, iframe, [src]')].some((el) =>
        /javascript:|alert\(1\)/i.test(`${el.getAttribute('href') ?? ''} ${el.getAttribute('src') ?? ''} ${el.textContent}`),
      ),
    );
    assert.equal(planted, false, 'something from the hostile link ended up in a link, a script or a src');
    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');

    // The defaults stand in, and the address bar says so.
    const q = new URL(page.url()).searchParams;
    for (const key of ['url', 'zzz', 'items']) assert.equal(q.get(key), null, `address bar kept ${key}: ${page.url()}`);
    assert.equal(q.get('n'), '15', `address bar n: ${page.url()}`);
    assert.equal(await page.locator(testId('aio-n')).inputValue(), '15', 'aio-n');
    assert.equal(await page.locator(testId('aio-fail')).inputValue(), '0', 'aio-fail');
    assert.doesNotMatch(await page.locator(testId('share-url')).inputValue(), /javascript/i, 'share-url');
    assert.equal((await waitForStatus(page, ['idle'], 5_000)).status, 'idle', 'a hostile link must not start a run');

    const run = await waitForRunEnabled(page);
    await run.click();
    const json = await waitForStatus(page, ['done'], 30_000);
    assertRequestsRun(json, { n: 15, network: 'sim' });
    assert.equal(json.done, 15, `done: ${JSON.stringify(json)}`);

    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');
    assertNoPageErrors(page);
  });
});
