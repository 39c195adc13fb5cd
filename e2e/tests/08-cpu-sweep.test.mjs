import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitForStatus, isFiniteNumber, assertNoPageErrors } from '../lib.mjs';
import { waitForPool } from './cpu-helpers.mjs';

test('sweep runs k = 1..cores in order and draws the speedup chart', { timeout: 120_000 }, async () => {
  await withApp('/cpu?iters=20000&tasks=2-38*8', async ({ page }) => {
    await waitForPool(page, ['ready']);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.ok(Number.isInteger(cores) && cores >= 1, `navigator.hardwareConcurrency: ${cores}`);

    await page.locator(testId('sweep')).click();
    const json = await waitForStatus(page, ['done'], 60_000);
    const dump = JSON.stringify(json);

    assert.ok(Array.isArray(json.sweep), `no sweep array: ${dump}`);
    assert.deepEqual(
      json.sweep.map((p) => p.workers),
      Array.from({ length: cores }, (_, i) => i + 1),
      `sweep should have one point per k = 1..${cores}, in order: ${dump}`,
    );
    for (const p of json.sweep) {
      assert.ok(isFiniteNumber(p.wallMs) && p.wallMs > 0, `sweep point wallMs must be > 0: ${JSON.stringify(p)}`);
      assert.ok(isFiniteNumber(p.speedup) && p.speedup > 0, `sweep point speedup must be > 0: ${JSON.stringify(p)}`);
    }
    assert.equal(json.sweep[0].speedup, 1, `k = 1 is the sweep's own baseline, so its speedup is 1: ${dump}`);
    // The document describes the sweep's last run: k = cores, all 8 tasks.
    assert.equal(json.workers, cores, `workers of the last sweep run: ${dump}`);
    assert.equal(json.tasks.length, 8, `tasks of the last sweep run: ${dump}`);

    const chart = page.locator(testId('cpu-speedup-chart'));
    await chart.waitFor({ state: 'visible', timeout: 5_000 });
    for (const cls of ['measured', 'ideal']) {
      const path = chart.locator(`path.${cls}`);
      assert.equal(await path.count(), 1, `speedup chart should hold one path.${cls}`);
      const d = await path.getAttribute('d');
      assert.match(d ?? '', /^M/, `path.${cls} has no drawing (d=${JSON.stringify(d)})`);
    }

    assertNoPageErrors(page);
  });
});
