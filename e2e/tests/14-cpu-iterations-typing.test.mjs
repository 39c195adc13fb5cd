import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, assertNoPageErrors } from '../lib.mjs';
import { waitForPool, queryOf } from './cpu-helpers.mjs';

test('typing a non-number into iterations is flagged and kept, not reset', { timeout: 90_000 }, async () => {
  await withApp('/cpu', async ({ page }) => {
    // Wait for the pool first: its arrival redraws the lab, which must not undo typing either.
    await waitForPool(page, ['ready', 'single']);
    const iterations = page.locator(testId('cpu-iterations'));
    const run = page.locator(testId('run'));
    const errors = page.locator(testId('validation-errors'));
    const itersBefore = queryOf(page).get('iters');

    await iterations.fill('abc');
    await errors.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await errors.innerText(), /\biterations\b/i, 'validation-errors does not mention iterations');
    await waitFor(() => run.isDisabled(), { timeout: 5_000, message: 'the run button to be disabled' });
    assert.equal(await iterations.inputValue(), 'abc', 'the typed text was replaced');

    // Force another redraw of the lab (a state change unrelated to the input).
    await page.locator(testId('run-in-link')).uncheck();
    assert.equal(await iterations.inputValue(), 'abc', 'a redraw reset the typed text');
    assert.equal(await run.isDisabled(), true, 'run enabled again after a redraw while iterations is "abc"');
    assert.equal(queryOf(page).get('iters'), itersBefore, `an invalid value reached the address bar: ${page.url()}`);

    await iterations.fill('2000');
    await waitFor(() => run.isEnabled(), { timeout: 5_000, message: 'the run button to be enabled again' });
    await errors.waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await iterations.inputValue(), '2000');
    assert.equal(queryOf(page).get('iters'), '2000', `iters in the address bar: ${page.url()}`);

    assertNoPageErrors(page);
  });
});
