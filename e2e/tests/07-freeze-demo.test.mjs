import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, waitFor, isFiniteNumber, assertNoPageErrors } from '../lib.mjs';

test('main-thread mode reports how long it blocked the page', { timeout: 180_000 }, async () => {
  await withApp('/cpu?mode=main&iters=2000000&tasks=2-38*10', async ({ page }) => {
    const heartbeat = page.locator(testId('heartbeat'));
    await heartbeat.waitFor({ state: 'attached', timeout: 30_000 });
    const frames = async () => Number(await heartbeat.getAttribute('data-frames'));

    const before = await frames();
    assert.ok(Number.isInteger(before) && before >= 0, `data-frames is not a counter: ${before}`);
    // The counter advances on its own while the page is idle.
    const idle = await waitFor(
      async () => {
        const now = await frames();
        return now > before ? now : 0;
      },
      {
        timeout: 3_000,
        message: 'the heartbeat data-frames counter to advance',
      },
    );

    // A main-thread run may hold the click's event loop turn for the whole run.
    await page.locator(testId('run')).click({ timeout: 120_000 });
    const json = await waitForStatus(page, ['done'], 120_000);
    assert.equal(json.mode, 'main', `mode: ${JSON.stringify(json)}`);
    assert.equal(json.tasks.length, 10, `tasks: ${JSON.stringify(json)}`);
    assert.ok(
      isFiniteNumber(json.mainThreadBlockedMs) && json.mainThreadBlockedMs > 0,
      `mainThreadBlockedMs must be > 0 in mode "main": ${JSON.stringify(json)}`,
    );

    const after = await frames();
    assert.ok(after >= idle, `heartbeat went backwards: ${idle} -> ${after}`);
    assertNoPageErrors(page);
  });
});
