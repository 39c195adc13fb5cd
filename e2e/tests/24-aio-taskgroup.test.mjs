import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, runLink, waitForAioLab, flightClasses } from './aio-helpers.mjs';

// The taskgroup preset: a 25% failure rate, so some request fails early.
const TASKGROUP = '/async?net=sim&n=15&lat=690&jitter=400&fail=25&seed=3&mode=taskgroup&k=0&run=1';
const GATHER = TASKGROUP.replace('mode=taskgroup', 'mode=gather');

test('TaskGroup cancels the siblings at the first failure; gather lets them finish', { timeout: 120_000 }, async () => {
  await withApp('/async', async (app) => {
    const { page } = app;
    await waitForAioLab(page);

    const tg = await runLink(app, TASKGROUP, 30_000);
    let dump = JSON.stringify(tg);
    const requests = assertRequestsRun(tg, { n: 15, mode: 'taskgroup', network: 'sim' });
    const failed = requests.filter((r) => r.phase === 'failed');
    const cancelled = requests.filter((r) => r.phase === 'cancelled');
    assert.ok(failed.length >= 1, `no request failed: ${dump}`);
    assert.ok(cancelled.length >= 1, `no request was cancelled: ${dump}`);
    assert.match(tg.note ?? '', /TaskGroup/, `note: ${dump}`);
    await page.locator(testId('aio-note')).waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await page.locator(testId('aio-note')).innerText(), /TaskGroup/, 'aio-note on the page');

    // Everything still running when the first failure came was cancelled right then.
    const firstFailure = Math.min(...failed.map((r) => r.endMs));
    for (const r of cancelled) {
      assert.ok(
        Math.abs(r.endMs - firstFailure) <= 5,
        `request ${r.index} was cancelled at ${r.endMs} ms, the first failure was at ${firstFailure} ms: ${dump}`,
      );
    }
    for (const r of requests.filter((q) => q.phase === 'done')) {
      assert.ok(r.endMs <= firstFailure + 5, `request ${r.index} completed after the first failure: ${dump}`);
    }
    const bars = await flightClasses(page);
    assert.equal(bars.filter((c) => c.includes('phase-cancelled')).length, cancelled.length, `cancelled bars: ${bars}`);
    assert.equal(bars.filter((c) => c.includes('phase-failed')).length, failed.length, `failed bars: ${bars}`);

    // The same requests under gather(return_exceptions=True): failures are results.
    const ga = await runLink(app, GATHER, 30_000);
    dump = JSON.stringify(ga);
    assertRequestsRun(ga, { n: 15, mode: 'gather', network: 'sim' });
    assert.equal(ga.cancelled, 0, `cancelled under gather: ${dump}`);
    assert.equal(ga.done + ga.failed, 15, `done + failed under gather: ${dump}`);
    assert.ok(ga.failed >= failed.length, `gather saw fewer failures than the TaskGroup: ${dump}`);
    assert.equal(ga.note, null, `note under gather: ${dump}`);

    assertNoPageErrors(page);
  });
});
