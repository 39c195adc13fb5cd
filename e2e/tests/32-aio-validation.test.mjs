import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, readResults, assertNoPageErrors } from '../lib.mjs';
import { typeInto, waitForAioLab, waitForRunEnabled } from './aio-helpers.mjs';
import { queryOf } from './cpu-helpers.mjs';

test('a non-number latency is flagged, keeps what was typed, and disables run', { timeout: 90_000 }, async () => {
  await withApp('/async', async ({ page }) => {
    await waitForAioLab(page);
    await waitForRunEnabled(page);
    const latency = page.locator(testId('aio-latency'));
    assert.equal(await latency.inputValue(), '690', 'default latency');

    await typeInto(page, 'aio-latency', 'abc');
    const errors = page.locator(testId('validation-errors'));
    await errors.waitFor({ state: 'visible', timeout: 5_000 });
    await waitFor(async () => /latency/i.test(await errors.innerText()), {
      timeout: 5_000,
      message: 'validation-errors to mention "latency"',
    }).catch(async (err) => {
      err.message += `\nvalidation-errors text: ${JSON.stringify(await errors.innerText())}`;
      throw err;
    });
    await waitForRunEnabled(page, false);
    assert.equal(await latency.inputValue(), 'abc', 'the input did not keep what was typed');
    assert.equal(queryOf(page).get('lat'), '690', `an invalid value reached the address bar: ${page.url()}`);
    assert.equal((await readResults(page)).status, 'idle', 'an invalid form must not start a run');

    await typeInto(page, 'aio-latency', '200');
    await waitForRunEnabled(page, true);
    await errors.waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await latency.inputValue(), '200', 'latency input');
    await waitFor(() => queryOf(page).get('lat') === '200', { timeout: 5_000, message: `lat=200 in the address bar (${page.url()})` });
    assertNoPageErrors(page);
  });
});
