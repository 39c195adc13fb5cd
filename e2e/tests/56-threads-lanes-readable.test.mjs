import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitForStatus } from '../lib.mjs';

// The convoy's lanes (two threads, the GIL, the cores) are read at a glance: each lane is
// tall enough to see the I/O thread wait its switch interval, at a laptop's width and a
// phone's. They were 85 px in all for two threads.
for (const [name, viewport] of [['laptop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
  test(`the threads lab's lanes are readable at a glance on a ${name}`, { timeout: 90_000 }, async () => {
    await withApp('/threads?preset=convoy&run=1', { viewport }, async ({ page }) => {
      await waitForStatus(page, ['done'], 60_000);
      const lanes = page.locator(testId('threads-lanes'));
      const box = await lanes.boundingBox();
      const rows = await lanes.locator('rect.lane').count();
      assert.equal(rows, 4, 'two threads, the GIL and the cores');
      const laneHeight = await lanes.locator('rect.lane').first().evaluate((el) => el.getBoundingClientRect().height);
      assert.ok(laneHeight >= 24, `a lane is ${laneHeight.toFixed(1)} px high`);
      assert.ok(box.height >= 130, `the lanes are ${box.height.toFixed(0)} px high`);
      // The handoffs are also told in words.
      const items = await page.locator(`${testId('threads-handoffs')} li`).count();
      assert.ok(items > 10, `handoffs listed: ${items}`);
    });
  });
}
