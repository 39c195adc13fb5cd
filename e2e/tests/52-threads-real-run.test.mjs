// "Run it for real" without the lock: the simulated time beside the measured one is of the
// same size (it was the run's slices_per_thread times too long: "simulated 158471 ms"
// beside a 479 ms run), and at phone width the table scrolls inside its card instead of
// sticking out of it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor } from '../lib.mjs';
import { waitForThreadsLab } from './threads-helpers.mjs';

test('a real run without the lock is simulated at its own length, and its table fits a phone', { timeout: 120_000 }, async () => {
  await withApp('/threads', { viewport: { width: 390, height: 844 } }, async ({ page }) => {
    await waitForThreadsLab(page);
    await page.locator(testId('threads-real-nolock')).click();
    const doc = await waitFor(
      async () => {
        const json = JSON.parse(await page.locator(testId('results-json')).textContent());
        return json.real?.length ? json : null;
      },
      { timeout: 60_000, message: 'the real run in the results' },
    );
    const run = doc.real[0];
    assert.equal(run.lock, false);
    // Both come from the same workers' busy time: the model adds 11% for two busy cores,
    // and a worker that started late can make the wall time longer; the old error was a
    // factor of hundreds.
    assert.ok(run.simulatedWallMs > 0.25 * run.wallMs && run.simulatedWallMs < 2 * run.wallMs, `simulated ${run.simulatedWallMs} ms beside ${run.wallMs} ms`);
    const fits = await page.locator(testId('threads-real-table')).evaluate((table) => {
      const card = table.closest('.card');
      return { card: card.getBoundingClientRect().right, box: table.parentElement.getBoundingClientRect().right, overflow: card.scrollWidth - card.clientWidth };
    });
    assert.ok(fits.box <= fits.card + 0.5 && fits.overflow <= 0, `the table sticks out of its card: ${JSON.stringify(fits)}`);
  });
});
