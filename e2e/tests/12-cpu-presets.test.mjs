import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, assertNoPageErrors, CLASSIC_TASKS } from '../lib.mjs';
import { queryOf } from './cpu-helpers.mjs';

test('presets load their config and rewrite the address bar', { timeout: 90_000 }, async () => {
  await withApp('/cpu', async ({ page }) => {
    const tiny = page.locator(testId('preset-tiny-tasks'));
    await tiny.waitFor({ state: 'visible', timeout: 30_000 });

    await tiny.click();
    await waitFor(
      () => {
        const raw = page.url();
        return /[?&]tasks=1-2(\*|%2A)1000(&|$)/i.test(raw) && queryOf(page).get('iters') === '100';
      },
      { timeout: 5_000, message: `tasks=1-2*1000 and iters=100 in the address bar (url: ${page.url()})` },
    );
    const summary = page.locator('summary').filter({ hasText: /^\s*Tasks\b/ });
    assert.equal(await summary.count(), 1, 'expected one "Tasks (...)" summary');
    await waitFor(async () => /\b1,?000\b/.test(await summary.innerText()), {
      timeout: 5_000,
      message: 'the tasks summary to mention 1000 tasks',
    }).catch(async (err) => {
      err.message += `\nsummary text: ${JSON.stringify(await summary.innerText())}`;
      throw err;
    });
    assert.equal(await page.locator(testId('cpu-iterations')).inputValue(), '100', 'iterations input after tiny-tasks');
    assert.equal(await page.locator(testId('cpu-mode-parallel')).isChecked(), true, 'tiny-tasks is a parallel preset');

    await page.locator(testId('preset-classic-sequential')).click();
    await waitFor(() => queryOf(page).get('mode') === 'worker', {
      timeout: 5_000,
      message: `mode=worker in the address bar (url: ${page.url()})`,
    });
    const q = queryOf(page);
    assert.equal(q.get('iters'), '2000000', `iters after classic-sequential: ${page.url()}`);
    assert.equal(q.get('tasks'), CLASSIC_TASKS, `tasks after classic-sequential: ${page.url()}`);
    assert.equal(await page.locator(testId('cpu-mode-worker')).isChecked(), true, 'cpu-mode-worker not checked');
    assert.equal(await page.locator(testId('cpu-mode-parallel')).isChecked(), false, 'cpu-mode-parallel still checked');
    assert.equal(await page.locator(testId('cpu-iterations')).inputValue(), '2000000', 'iterations input');

    assertNoPageErrors(page);
  });
});
