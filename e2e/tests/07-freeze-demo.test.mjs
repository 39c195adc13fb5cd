import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, sleep, isFiniteNumber, assertNoPageErrors, recordHeartbeat, framesDuring, clickSoon, waitForRunEnabled } from '../lib.mjs';

// 10 tasks of 30 million iterations on the page's thread: long enough (about a second or
// more) to watch the heartbeat stop, and within the 4×10^8 limit of this mode.
const FREEZE = '/cpu?mode=main&iters=30000000&tasks=2-38*10';

test('main-thread mode freezes the page: the heartbeat stops while it runs', { timeout: 180_000 }, async (t) => {
  await withApp(FREEZE, async ({ page }) => {
    await waitForRunEnabled(page);
    const heartbeat = await recordHeartbeat(page);
    const idleFrom = await page.evaluate(() => performance.now());
    await sleep(1_300);
    const clickedAt = await clickSoon(page, 'run');
    const json = await waitForStatus(page, ['done'], 120_000);
    const dump = JSON.stringify({ ...json, tasks: json.tasks.length });
    assert.equal(json.mode, 'main', `mode: ${dump}`);
    assert.equal(json.executor, 'main-thread', `executor: ${dump}`);
    assert.equal(json.tasks.length, 10, `tasks: ${dump}`);
    assert.ok(isFiniteNumber(json.mainThreadBlockedMs) && json.mainThreadBlockedMs > 400, `mainThreadBlockedMs: ${dump}`);

    // Compare the frame rate of an idle second with that of the run (which starts a
    // moment after the click, and is skipped at both ends by a margin).
    const log = await heartbeat();
    const idleRate = framesDuring(log, idleFrom + 100, 1_000) / 1_000;
    const window = Math.min(1_000, json.mainThreadBlockedMs - 250);
    const blockedRate = framesDuring(log, clickedAt + 200, window) / window;
    const detail = `idle: ${(idleRate * 1000).toFixed(1)} frames/s, during the run: ${(blockedRate * 1000).toFixed(1)} frames/s over ${window.toFixed(0)} ms`;
    t.diagnostic(detail);
    assert.ok(idleRate * 1000 >= 10, `the heartbeat hardly moves on an idle page: ${detail}`);
    assert.ok(blockedRate < idleRate / 2, `the page kept painting during a page-thread run: ${detail}`);
    assertNoPageErrors(page);
  });
});
