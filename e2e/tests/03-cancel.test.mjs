import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, assertNoPageErrors } from '../lib.mjs';

// Each task below takes seconds, so a cancel that waited for the running tasks to end would
// take seconds; one that stops them midway takes a tick or two. The bound sits between.
const CANCEL_WITHIN_MS = 1_500;

test('a long parallel run can be cancelled and the page stays usable', { timeout: 120_000 }, async () => {
  // 40 copies of 2-38 with 10^9 iterations each (seconds per task): far too long to finish.
  const link = '/cpu?mode=parallel&k=2&iters=1000000000&tasks=2-38*40&run=1';
  await withApp(link, async ({ page }) => {
    const running = await waitForStatus(page, ['running'], 30_000);
    assert.equal(running.total, 40, `total tasks while running: ${JSON.stringify(running)}`);
    await page.locator(testId('progress')).waitFor({ state: 'attached', timeout: 10_000 });

    const cancel = page.locator(testId('cancel'));
    await cancel.waitFor({ state: 'visible', timeout: 5_000 });
    const clickedAt = Date.now();
    await cancel.click({ timeout: CANCEL_WITHIN_MS });
    const left = Math.max(1, CANCEL_WITHIN_MS - (Date.now() - clickedAt));
    const json = await waitForStatus(page, ['cancelled'], left);
    const tookMs = Date.now() - clickedAt;
    assert.ok(tookMs <= CANCEL_WITHIN_MS + 250, `cancel took ${tookMs} ms`);

    // Tasks that finished before the cancel are kept, each with its result.
    assert.ok(Array.isArray(json.tasks), `no tasks array after cancel: ${JSON.stringify(json)}`);
    for (const t of json.tasks) {
      assert.equal(typeof t.result, 'string', `listed task without a result after cancel: ${JSON.stringify(t)}`);
      assert.notEqual(t.result, '', `listed task with an empty result after cancel: ${JSON.stringify(t)}`);
    }
    assert.ok(json.done < 40, `done after cancel: ${JSON.stringify(json)}`);
    assert.equal(json.done, json.tasks.length, `done vs tasks: ${JSON.stringify(json)}`);

    // The page still responds: the nav link is clickable and routes.
    await page.locator(testId('nav-cpu')).click({ timeout: 3_000 });
    await page.waitForURL((u) => u.pathname === '/cpu', { timeout: 3_000 });
    const answer = await Promise.race([
      page.evaluate(() => 42),
      new Promise((resolve) => setTimeout(() => resolve('no answer'), 2_000)),
    ]);
    assert.equal(answer, 42, 'main thread does not answer after cancel');

    assertNoPageErrors(page);
  });
});
