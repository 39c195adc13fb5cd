import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitFor, assertNoPageErrors } from '../lib.mjs';
import { waitForSimulated, lanesWindow } from './threads-helpers.mjs';

test('the lanes zoom from the whole run to single handoffs, by button, key and wheel', { timeout: 120_000 }, async () => {
  await withApp('/threads?preset=cpu-threads&run=1', async ({ page }) => {
    const json = await waitForSimulated(page);
    const wall = Math.round(json.wallMs * 1e6);
    const whole = await lanesWindow(page);
    assert.equal(whole.start, 0, 'the lanes open on the whole run');
    assert.ok(Math.abs(whole.end - wall) <= 1000, `window end ${whole.end} vs wall ${wall} ns`);
    const barsWhole = await page.locator(`${testId('threads-lanes')} rect.st`).count();

    for (let i = 0; i < 7; i += 1) await page.locator(testId('threads-zoom-in')).click();
    const zoomed = await lanesWindow(page);
    assert.ok(zoomed.width < whole.width / 100, `seven zooms in: ${zoomed.width} of ${whole.width} ns`);
    // At this zoom the 5 ms turns of the two threads are separate bars.
    const bars = await page.locator(`${testId('threads-lanes')} rect.st-python`).count();
    assert.ok(bars >= 2, `running bars in a ${zoomed.width / 1e6} ms window: ${bars}`);

    // The keyboard pans and zooms once the lanes have focus.
    await page.locator('figure.threads-lanes').focus();
    await page.keyboard.press('ArrowRight');
    const panned = await lanesWindow(page);
    assert.ok(panned.start > zoomed.start, `ArrowRight moved the window from ${zoomed.start} to ${panned.start}`);
    await page.keyboard.press('-');
    assert.ok((await lanesWindow(page)).width > panned.width, 'the - key zooms out');

    // The wheel zooms in where the pointer is.
    const box = await page.locator(testId('threads-lanes')).boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3);
    const before = await lanesWindow(page);
    await page.mouse.wheel(0, -200);
    await waitFor(async () => (await lanesWindow(page)).width < before.width, { timeout: 5_000, message: 'the wheel to zoom in' });

    // Every zoom keeps a readable axis: labelled ticks inside the lanes.
    const ticks = await page.locator(`${testId('threads-lanes')} text.tick-label`).allTextContents();
    assert.ok(ticks.length >= 2 && ticks.every((t) => /\d (ms|µs)$/.test(t)), `axis labels: ${JSON.stringify(ticks)}`);

    await page.locator(testId('threads-zoom-reset')).click();
    assert.deepEqual(await lanesWindow(page), whole, 'whole run after reset');
    assert.ok(barsWhole > 0, 'no bars drawn for the whole run');
    assertNoPageErrors(page);
  });
});
