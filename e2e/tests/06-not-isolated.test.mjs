import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, assertNoPageErrors } from '../lib.mjs';
import { assertCpuRun, CPYTHON_RESULTS, FOUR_TASK_RANGES } from './support.mjs';

test('without cross-origin isolation: notice shown, run completes on one thread', { timeout: 120_000 }, async () => {
  const link = '/cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1';
  await withApp(link, { isolated: false }, async ({ page }) => {
    assert.equal(
      await page.evaluate(() => self.crossOriginIsolated),
      false,
      'page is crossOriginIsolated although the server sent no COOP/COEP',
    );

    const notice = page.locator(testId('coi-notice'));
    await notice.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await notice.innerText();
    assert.match(text, /cross-origin/i, `coi-notice does not mention Cross-Origin:\n${text}`);

    const json = await waitForStatus(page, ['done'], 60_000);
    const tasks = assertCpuRun(json, {
      iterations: 1000,
      ranges: FOUR_TASK_RANGES.slice(0, 2),
      results: CPYTHON_RESULTS[1000].slice(0, 2),
    });
    const threads = new Set(tasks.map((t) => t.worker));
    assert.equal(threads.size, 1, `tasks ran on several threads without isolation: ${JSON.stringify(json)}`);
    assert.ok(json.workers <= 1, `workers should be at most 1 without isolation: ${JSON.stringify(json)}`);

    assertNoPageErrors(page);
  });
});
