import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, assertNoPageErrors } from '../lib.mjs';
import { assertRequestsRun, runLink, waitForAioLab } from './aio-helpers.mjs';

// 15 requests of exactly 200 ms: 3000 ms of waiting in total, however it is arranged.
const BASE = '/async?net=sim&n=15&lat=200&jitter=0&seed=1';

const CASES = [
  // k=5 with mode=seq: a run that awaits one at a time uses no semaphore, so limit is null.
  { name: 'sequential', query: 'mode=seq&k=5', mode: 'seq', limit: null, wall: [2950, 3600], maxInFlight: 1 },
  { name: 'gather', query: 'mode=gather&k=0', mode: 'gather', limit: null, wall: [180, 450], maxInFlight: 15 },
  { name: 'semaphore of 5', query: 'mode=gather&k=5', mode: 'gather', limit: 5, wall: [580, 900], maxInFlight: 5 },
];

test('sequential vs gather vs a pool of 5: same waiting, different wall time', { timeout: 120_000 }, async () => {
  await withApp('/async', async (app) => {
    await waitForAioLab(app.page);
    for (const c of CASES) {
      const json = await runLink(app, `${BASE}&${c.query}&run=1`, 30_000);
      const dump = `${c.name}: ${JSON.stringify(json)}`;
      const requests = assertRequestsRun(json, { n: 15, mode: c.mode, network: 'sim' });
      assert.equal(json.done, 15, `done, ${dump}`);
      assert.equal(json.limit, c.limit, `limit, ${dump}`);
      for (const r of requests) {
        assert.ok(Math.abs(r.endMs - r.startMs - 200) <= 60, `${c.name}: request ${r.index} took ${r.endMs - r.startMs} ms, not ~200`);
      }
      const [lo, hi] = c.wall;
      assert.ok(json.wallMs >= lo && json.wallMs <= hi, `${c.name}: wallMs ${json.wallMs} not in [${lo}, ${hi}]; ${dump}`);
      // The same waiting: every request took about 200 ms (above), and the figure the page
      // reports is their sum. (A fixed bound on the sum failed once when every timer of a
      // gather fired 22 ms late together, on a busy machine: lateness, not a bug.)
      // Each start and end is rounded to the microsecond, hence the slack.
      const summed = requests.reduce((s, r) => s + (r.endMs - r.startMs), 0);
      assert.ok(
        Math.abs(json.sumOfLatenciesMs - summed) <= 0.002 * requests.length,
        `${c.name}: sumOfLatenciesMs ${json.sumOfLatenciesMs} is not the requests' ${summed}; ${dump}`,
      );
      assert.equal(json.maxInFlight, c.maxInFlight, `maxInFlight, ${dump}`);
    }
    assertNoPageErrors(app.page);
  });
});
