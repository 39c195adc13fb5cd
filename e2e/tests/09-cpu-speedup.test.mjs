import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, isFiniteNumber, assertNoPageErrors } from '../lib.mjs';
import { waitForPool, clickAndWaitForDone, queryOf } from './cpu-helpers.mjs';

test('speedup needs a sequential baseline of the same workload', { timeout: 120_000 }, async () => {
  await withApp('/cpu?mode=worker&iters=200000&tasks=2-38*8', async ({ page }) => {
    await waitForPool(page, ['ready']);

    // 1. Sequential in one worker: this is the baseline, it has no speedup itself.
    const sequential = await clickAndWaitForDone(page, 'run');
    assert.equal(sequential.mode, 'worker', `mode of the first run: ${JSON.stringify(sequential)}`);
    assert.equal(sequential.executor, 'workers', `executor of the first run: ${JSON.stringify(sequential)}`);
    assert.equal(sequential.speedup, null, `a sequential run has no speedup: ${JSON.stringify(sequential)}`);
    assert.equal(await page.locator(testId('speedup')).count(), 0, 'speedup shown after the sequential run');

    // 2. The same tasks on k workers: measured against the baseline.
    await page.locator(testId('cpu-mode-parallel')).check();
    await waitFor(() => queryOf(page).get('mode') === 'parallel', {
      timeout: 5_000,
      message: `mode=parallel in the address bar (url: ${page.url()})`,
    });
    const parallel = await clickAndWaitForDone(page, 'run');
    const dump = JSON.stringify(parallel);
    assert.equal(parallel.mode, 'parallel', `mode of the second run: ${dump}`);
    assert.equal(parallel.iterations, 200000, `iterations of the second run: ${dump}`);
    assert.ok(isFiniteNumber(parallel.speedup) && parallel.speedup > 0, `speedup after a baseline: ${dump}`);
    const shown = page.locator(testId('speedup'));
    await shown.waitFor({ state: 'visible', timeout: 5_000 });
    const text = (await shown.innerText()).trim();
    const m = /^(\d+\.\d{2})\u00d7$/.exec(text);
    assert.ok(m, `speedup text should look like "1.66\u00d7": ${JSON.stringify(text)}`);
    assert.ok(
      Math.abs(Number(m[1]) - parallel.speedup) <= 0.006,
      `speedup shown (${text}) differs from the JSON's (${parallel.speedup})`,
    );

    // 3. A different workload: the old baseline must not be used.
    await page.locator(testId('cpu-iterations')).fill('100000');
    await waitFor(() => queryOf(page).get('iters') === '100000', {
      timeout: 5_000,
      message: `iters=100000 in the address bar (url: ${page.url()})`,
    });
    const other = await clickAndWaitForDone(page, 'run');
    assert.equal(other.mode, 'parallel', `mode of the third run: ${JSON.stringify(other)}`);
    assert.equal(other.iterations, 100000, `iterations of the third run: ${JSON.stringify(other)}`);
    assert.equal(
      other.speedup,
      null,
      `no baseline exists for 100000 iterations, yet a speedup was reported: ${JSON.stringify(other)}`,
    );
    assert.equal(await page.locator(testId('speedup')).count(), 0, 'speedup still shown for a workload without baseline');

    assertNoPageErrors(page);
  });
});
