// A host without COOP/COEP where the service worker cannot help either (blocked, as in
// some private modes): the app falls back to one thread and says so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, sleep, assertNoPageErrors, recordHeartbeat, framesDuring, clickSoon, waitForRunEnabled } from '../lib.mjs';
import { assertCpuRun, CPYTHON_RESULTS, FOUR_TASK_RANGES } from './support.mjs';

test('without cross-origin isolation: notice shown, run completes on one thread', { timeout: 120_000 }, async () => {
  const link = '/cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1';
  await withApp(link, { isolated: false, contextOptions: { serviceWorkers: 'block' } }, async ({ page }) => {
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

test('without isolation a long task is computed in slices: the page paints and Cancel stops it', { timeout: 120_000 }, async (t) => {
  // One task of 10^9 iterations: seconds of work that the fallback must not do in one go.
  await withApp('/cpu?mode=worker&iters=1000000000&tasks=2-38,5-50', { isolated: false, contextOptions: { serviceWorkers: 'block' } }, async ({ page }) => {
    await page.locator(testId('coi-notice')).waitFor({ state: 'visible', timeout: 30_000 });
    await waitForRunEnabled(page);
    const heartbeat = await recordHeartbeat(page);
    const idleFrom = await page.evaluate(() => performance.now());
    await sleep(1_300);
    const clickedAt = await clickSoon(page, 'run');
    await waitForStatus(page, ['running'], 10_000);
    await sleep(1_200);
    await page.locator(testId('cancel')).click({ timeout: 2_000 });
    const json = await waitForStatus(page, ['cancelled'], 2_000);
    assert.equal(json.executor, 'main-thread-sliced', `executor: ${JSON.stringify(json)}`);
    assert.equal(json.done, 0, `a 10^9-iteration task cannot have finished: ${JSON.stringify(json)}`);

    const log = await heartbeat();
    const idleFrames = framesDuring(log, idleFrom + 100, 1_000);
    const runFrames = framesDuring(log, clickedAt + 100, 1_000);
    const detail = `idle second: ${idleFrames} frames, a second of sliced work: ${runFrames} frames`;
    t.diagnostic(detail);
    assert.ok(idleFrames >= 10, `the heartbeat hardly moves on an idle page: ${detail}`);
    assert.ok(runFrames >= idleFrames / 3, `the page stopped painting during the fallback run: ${detail}`);
    assertNoPageErrors(page);
  });
});
