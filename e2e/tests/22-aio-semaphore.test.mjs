import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, eventTexts, findEvent, eventPosition, eventLines, flightClasses } from './aio-helpers.mjs';

const LINK = '/async?net=sim&n=4&lat=1000&jitter=0&seed=1&mode=gather&k=2&run=1';

test('Semaphore(2) over 4 requests: the third waits for the first release', { timeout: 90_000 }, async () => {
  await withApp(LINK, async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 30_000);
    const dump = JSON.stringify(json);
    const requests = assertRequestsRun(json, { n: 4, mode: 'gather', network: 'sim' });
    assert.equal(json.limit, 2, `limit: ${dump}`);
    assert.equal(json.done, 4, `done: ${dump}`);
    assert.equal(json.maxInFlight, 2, `maxInFlight: ${dump}`);
    // Two rounds of two 1000 ms requests.
    assert.ok(json.wallMs >= 1950 && json.wallMs <= 2600, `wallMs ${json.wallMs} not in [1950, 2600]: ${dump}`);

    for (const r of requests) {
      const texts = eventTexts(json, r.index);
      for (const text of ['waiting for semaphore', 'acquired', 'started', 'completed', 'released']) {
        assert.ok(texts.includes(text), `request ${r.index} has no "${text}" event: ${JSON.stringify(texts)}`);
      }
      // Per request, the order is the semaphore's: wait, acquire, run, release.
      const at = (text) => texts.indexOf(text);
      assert.ok(
        at('waiting for semaphore') < at('acquired') && at('acquired') < at('completed') && at('completed') < at('released'),
        `request ${r.index} events out of order: ${JSON.stringify(texts)}`,
      );
    }

    // Request 3 (index 2) gets a permit only after someone gives one back.
    const firstRelease = json.events.find((e) => e.text === 'released');
    const acquired2 = findEvent(json, 2, 'acquired');
    assert.ok(firstRelease && acquired2, `missing events: ${JSON.stringify(json.events)}`);
    assert.ok(
      eventPosition(json, acquired2) > eventPosition(json, firstRelease),
      `request 2 acquired before the first release: ${JSON.stringify(json.events)}`,
    );
    assert.ok(acquired2.t >= 950, `request 2 acquired at ${acquired2.t} ms, before the first request could finish`);
    assert.ok(acquired2.t >= firstRelease.t, `request 2 acquired at ${acquired2.t}, first release at ${firstRelease.t}`);
    // The whole permit log reads as CPython prints this demo: the first two timers fall
    // due together, so both requests finish and release before the waiting two acquire.
    const permitLog = json.events
      .filter((e) => ['acquired', 'completed', 'released'].includes(e.text))
      .map((e) => `${e.index} ${e.text}`);
    assert.deepEqual(
      permitLog,
      ['0 acquired', '1 acquired', '0 completed', '0 released', '1 completed', '1 released', '2 acquired', '3 acquired',
        '2 completed', '2 released', '3 completed', '3 released'],
      'the permit log differs from what Python prints',
    );
    // Requests 0 and 1 started at once; 2 and 3 only a latency later.
    assert.ok(requests[0].startMs < 100 && requests[1].startMs < 100, `first two did not start at once: ${dump}`);
    assert.ok(requests[2].startMs >= 950 && requests[3].startMs >= 950, `last two started too early: ${dump}`);

    // The page shows the same story: the event log and four finished bars on the timeline.
    const lines = await eventLines(page);
    for (const text of ['request 3 (id 300): waiting for semaphore', 'request 3 (id 300): acquired', 'request 3 (id 300): released']) {
      assert.ok(lines.some((l) => l.includes(text)), `event log has no "${text}":\n${lines.join('\n')}`);
    }
    assert.deepEqual(await flightClasses(page), Array(4).fill('flight phase-done'), 'timeline flight bars');
    const waits = await page.locator(`${testId('aio-timeline')} rect.wait`).count();
    assert.ok(waits >= 2, `the timeline shows ${waits} permit waits, expected at least 2 (requests 3 and 4)`);

    assertNoPageErrors(page);
  });
});
