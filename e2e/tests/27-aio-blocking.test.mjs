import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, sleep, assertNoPageErrors } from '../lib.mjs';
import {
  assertRequestsRun,
  recordHeartbeat,
  framesDuring,
  clickSoon,
  waitForRunEnabled,
  resultsText,
  waitForNextDone,
} from './aio-helpers.mjs';
import { waitForPool } from './cpu-helpers.mjs';

// Coroutine 1 computes for 1500 ms before its request; every request takes 300 ms.
const BLOCKING = '/async?net=sim&n=15&lat=300&jitter=0&seed=1&mode=gather&k=0&block=1500';

test('a blocking coroutine freezes the loop: nothing starts and no frame is painted', { timeout: 90_000 }, async (t) => {
  await withApp(`${BLOCKING}&run=1`, async (app) => {
    const { page } = app;
    // The link runs by itself: check the requests first.
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 15, mode: 'gather' });
    assert.equal(json.blockMs, 1500, `blockMs: ${dump}`);
    assert.equal(json.offload, false, `offload: ${dump}`);
    assert.equal(json.done, 15, `done: ${dump}`);
    for (const r of requests.slice(1)) {
      assert.ok(r.startMs >= 1400, `request ${r.index} started at ${r.startMs} ms while the loop was blocked: ${dump}`);
    }
    assert.ok(json.wallMs >= 1750, `wallMs ${json.wallMs} < 1500 ms of work + 300 ms of request: ${dump}`);

    // Run it again with the heartbeat under watch: one idle second, then one second of the block.
    await waitForRunEnabled(page);
    const heartbeat = await recordHeartbeat(page);
    const idleFrom = await page.evaluate(() => performance.now());
    await sleep(1_300);
    const previous = await resultsText(page);
    const clickedAt = await clickSoon(page, 'run');
    const again = await waitForNextDone(page, previous);
    assert.equal(again.done, 15, `second run: ${JSON.stringify(again)}`);
    const log = await heartbeat();
    const idleFrames = framesDuring(log, idleFrom + 100, 1_000);
    const blockedFrames = framesDuring(log, clickedAt + 200, 1_000);
    const detail = `idle second: ${idleFrames} frames, blocked second: ${blockedFrames} frames; log: ${JSON.stringify(log.slice(-200))}`;
    t.diagnostic(`heartbeat: ${idleFrames} frames in an idle second, ${blockedFrames} in a blocked one`);
    assert.ok(idleFrames >= 10, `the heartbeat hardly moves on an idle page: ${detail}`);
    assert.ok(blockedFrames < idleFrames / 2, `the page kept painting while the loop was blocked: ${detail}`);
    assertNoPageErrors(page);
  });
});

test('asyncio.to_thread: the work goes to a worker and the other requests carry on', { timeout: 90_000 }, async (t) => {
  await withApp(`${BLOCKING}&offload=1`, async ({ page }) => {
    // The work can only leave the page's thread once the worker pool is up.
    await waitForPool(page, ['ready']);
    await waitForRunEnabled(page);
    const heartbeat = await recordHeartbeat(page);
    const idleFrom = await page.evaluate(() => performance.now());
    await sleep(1_300);
    const clickedAt = await clickSoon(page, 'run');
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 15, mode: 'gather' });
    assert.equal(json.offload, true, `offload: ${dump}`);
    assert.equal(json.done, 15, `done: ${dump}`);
    for (const r of requests.slice(1)) {
      assert.ok(r.endMs < 600, `request ${r.index} ended at ${r.endMs} ms: it waited for coroutine 1's work: ${dump}`);
    }
    // Coroutine 1 itself still awaits its 1500 ms of work before its request.
    assert.ok(requests[0].startMs >= 1400, `request 0 started at ${requests[0].startMs} ms, before its work was done: ${dump}`);
    assert.ok(json.wallMs >= 1750, `wallMs ${json.wallMs}: ${dump}`);

    const log = await heartbeat();
    const idleFrames = framesDuring(log, idleFrom + 100, 1_000);
    const workFrames = framesDuring(log, clickedAt + 200, 1_000);
    const detail = `idle second: ${idleFrames} frames, second of to_thread work: ${workFrames} frames`;
    t.diagnostic(`heartbeat: ${idleFrames} frames in an idle second, ${workFrames} during to_thread work`);
    assert.ok(idleFrames >= 10, `the heartbeat hardly moves on an idle page: ${detail}`);
    assert.ok(workFrames >= idleFrames / 2, `the page stopped painting although the work ran on a worker: ${detail}`);
    assertNoPageErrors(page);
  });
});
