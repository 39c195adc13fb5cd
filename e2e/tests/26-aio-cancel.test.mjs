import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitFor, waitForStatus, testId, assertNoPageErrors, isFiniteNumber } from '../lib.mjs';
import { assertRequestsRun, waitForRunEnabled } from './aio-helpers.mjs';
import { clickAndWaitForDone } from './cpu-helpers.mjs';

// The sequential preset: 15 requests of 690 ± 150 ms one after another, about 10 s.
const LINK = '/async?net=sim&n=15&lat=690&jitter=150&seed=1&mode=seq&k=0&run=1';

/** Let the run get two requests done, then press Cancel; returns the cancelled JSON. (It
 *  waits for the count, not for a time: on a busy machine the click can land a request
 *  or two later than planned, which says nothing about cancelling.) */
async function cancelAfterTwoDone(page) {
  const running = await waitForStatus(page, ['running'], 30_000);
  assert.equal(running.total, 15, `total while running: ${JSON.stringify(running)}`);
  await page.locator(testId('progress')).waitFor({ state: 'attached', timeout: 5_000 });
  await waitFor(
    async () => JSON.parse(await page.locator(testId('results-json')).textContent()).done >= 2,
    { timeout: 20_000, message: 'two requests done' },
  );
  await page.locator(testId('cancel')).click({ timeout: 3_000 });
  const json = await waitForStatus(page, ['cancelled'], 3_000);
  assert.equal(await page.locator(testId('progress')).count(), 0, 'the progress bar is still shown after cancel');
  return json;
}

test('cancelling a sequential run keeps the finished requests and cancels the rest', { timeout: 90_000 }, async () => {
  await withApp(LINK, async ({ page }) => {
    const json = await cancelAfterTwoDone(page);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 15, mode: 'seq', status: 'cancelled' });
    assert.ok(json.done >= 2 && json.done < 15, `done after cancelling: ${json.done}; ${dump}`);
    const done = requests.filter((r) => r.phase === 'done');
    assert.deepEqual(
      done.map((r) => r.index),
      [...Array(json.done).keys()],
      `the finished requests are not the first ones: ${dump}`,
    );
    for (const r of done) assert.equal(r.detail, 'ok', `finished request ${r.index} lost its result: ${dump}`);
    // Nothing is left pending or in flight: everything not done was cancelled.
    const leftOver = requests.filter((r) => r.phase !== 'done' && r.phase !== 'cancelled');
    assert.deepEqual(
      leftOver.map((r) => `${r.index}:${r.phase}`),
      [],
      `requests neither done nor cancelled after Cancel: ${dump}`,
    );
    assert.equal(json.cancelled, 15 - json.done, `cancelled count: ${dump}`);
    // A cancelled run has a wall time (until the cancel: after its finished requests) and shows its figures.
    const lastDone = Math.max(...done.map((r) => r.endMs));
    assert.ok(isFiniteNumber(json.wallMs) && json.wallMs >= lastDone && json.wallMs < 15 * 690, `wallMs of the cancelled run: ${dump}`);
    assert.equal(await page.locator(testId('wall-ms')).count(), 1, 'no wall time shown for the cancelled run');
    assertNoPageErrors(page);
  });
});

test('after a cancel the page still loads a preset and runs it', { timeout: 90_000 }, async () => {
  await withApp(LINK, async ({ page }) => {
    const cancelled = await cancelAfterTwoDone(page);
    assert.ok(cancelled.done >= 2 && cancelled.done < 15, `done after cancelling: ${JSON.stringify(cancelled)}`);

    await page.locator(testId('preset-gather')).click({ timeout: 3_000 });
    await waitForRunEnabled(page);
    assert.equal(await page.locator(testId('aio-mode-gather')).isChecked(), true, 'the gather preset did not select gather');
    const json = await clickAndWaitForDone(page, 'run', { timeout: 30_000 });
    const requests = assertRequestsRun(json, { n: 15, mode: 'gather' });
    assert.equal(json.done, 15, `done after re-running: ${JSON.stringify(json)}`);
    assert.ok(requests.every((r) => r.phase === 'done'), `a request of the new run is not done: ${JSON.stringify(json)}`);
    assertNoPageErrors(page);
  });
});
