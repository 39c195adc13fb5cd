import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, readResults, waitForStatus, assertNoPageErrors } from '../lib.mjs';

test('an end below the start is flagged (1-based) and disables run', { timeout: 90_000 }, async () => {
  await withApp('/cpu', async ({ page }) => {
    const end0 = page.locator(testId('cpu-task-end-0'));
    await end0.waitFor({ state: 'visible', timeout: 30_000 });

    const start0 = page.locator(testId('cpu-task-start-0'));
    if ((await start0.count()) === 1) {
      assert.equal(await start0.inputValue(), '2', 'default preset: task 0 should start at 2');
    }

    const run = page.locator(testId('run'));
    assert.equal(await run.isEnabled(), true, 'run button disabled before any edit');

    await end0.fill('1');
    await end0.dispatchEvent('change');

    const errors = page.locator(testId('validation-errors'));
    await errors.waitFor({ state: 'visible', timeout: 5_000 });
    await waitFor(async () => /\btask 1\b/i.test(await errors.innerText()), {
      timeout: 5_000,
      message: 'validation-errors to mention "task 1"',
    }).catch(async (err) => {
      err.message += `\nvalidation-errors text: ${JSON.stringify(await errors.innerText())}`;
      throw err;
    });
    await waitFor(() => run.isDisabled(), { timeout: 5_000, message: 'the run button to be disabled' });

    const json = await readResults(page);
    assert.equal(json.status, 'idle', `an invalid form must not start a run: ${JSON.stringify(json)}`);
    assertNoPageErrors(page);
  });
});

test('a run=1 link whose settings cannot run ends as an error that says why', { timeout: 90_000 }, async () => {
  // 10^9 iterations on the page's thread is over that mode's limit; the link itself decodes.
  await withApp('/cpu?mode=main&iters=1000000000&tasks=2-38&run=1', async ({ page }) => {
    const json = await waitForStatus(page, ['error'], 30_000);
    assert.match(json.error ?? '', /page's thread/, `error text: ${JSON.stringify(json)}`);
    assert.equal(json.tasks.length, 0, `nothing may run: ${JSON.stringify(json)}`);
    const shown = page.locator(testId('run-error'));
    await shown.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await shown.innerText(), /Not run/, 'the page does not say the run was refused');
    // Fixing the setting makes the run possible again.
    await page.locator(testId('cpu-mode-worker')).check();
    await page.locator(testId('cpu-iterations')).fill('1000');
    await waitFor(() => page.locator(testId('run')).isEnabled(), { timeout: 5_000, message: 'run to be enabled' });
    assertNoPageErrors(page);
  });
});
