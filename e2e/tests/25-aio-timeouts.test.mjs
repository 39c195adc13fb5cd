import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, eventTexts } from './aio-helpers.mjs';

const LINK = '/async?net=sim&n=15&lat=690&jitter=400&seed=1&mode=gather&k=5&timeout=800&deadline=2000&run=1';

test('wait_for timeouts and an overall deadline', { timeout: 90_000 }, async () => {
  await withApp(LINK, async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 15, mode: 'gather', network: 'sim' });
    assert.equal(json.timeoutMs, 800, `timeoutMs: ${dump}`);
    assert.equal(json.deadlineMs, 2000, `deadlineMs: ${dump}`);
    assert.ok(json.wallMs <= 2150, `wallMs ${json.wallMs} > 2150 despite a 2000 ms deadline: ${dump}`);
    assert.ok(json.maxInFlight <= 5, `maxInFlight ${json.maxInFlight} > the semaphore's 5: ${dump}`);

    const timedOut = requests.filter((r) => r.phase === 'timed-out');
    assert.ok(timedOut.length >= 1, `no request timed out: ${dump}`);
    for (const r of timedOut) {
      const took = r.endMs - r.startMs;
      assert.ok(Math.abs(took - 800) <= 60, `request ${r.index} timed out after ${took} ms, not ~800: ${JSON.stringify(r)}`);
      assert.ok(eventTexts(json, r.index).includes('timed out'), `request ${r.index} has no "timed out" event`);
    }

    // Whatever had not finished by the deadline was cancelled, at the deadline.
    const cancelled = requests.filter((r) => r.phase === 'cancelled');
    for (const r of requests) {
      if (r.phase === 'cancelled') {
        assert.ok(r.endMs >= 1950 && r.endMs <= 2150, `request ${r.index} cancelled at ${r.endMs}, not at the deadline: ${dump}`);
      } else {
        assert.ok(r.endMs <= json.wallMs, `request ${r.index} ended after the run: ${dump}`);
      }
    }
    if (cancelled.length > 0) {
      assert.match(json.note ?? '', /deadline/i, `note with cancelled requests: ${dump}`);
      assert.match(await page.locator(testId('aio-note')).innerText(), /deadline/i, 'aio-note on the page');
    }

    assertNoPageErrors(page);
  });
});
