import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, sleep, assertNoPageErrors } from '../lib.mjs';
import { position, waitForPosition, waitForRaceLab } from './race-helpers.mjs';

test('the stepper keys: End, Home, arrows; not while typing in the editor', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&sched=rr', async ({ page }) => {
    await waitForRaceLab(page);
    const start = await position(page);
    assert.deepEqual([start.at, start.total], [0, '8'], `round robin on the bank: ${start.text}`);
    assert.equal(await page.locator(testId('race-outcome')).count(), 0, 'an outcome is shown before any step');

    // End: run to the end. Round robin lets every thread read 1000 before anyone writes.
    await page.keyboard.press('End');
    const outcome = page.locator(testId('race-outcome'));
    await outcome.waitFor({ state: 'visible', timeout: 5_000 });
    await waitForPosition(page, 8);
    assert.match(await outcome.innerText(), /balance = 950\b/, 'round-robin outcome');
    assert.equal((await page.locator(testId('race-var-balance')).innerText()).trim(), '950', 'balance at the end');
    let json = await readResults(page);
    assert.equal(json.outcome, 'balance = 950', `outcome: ${JSON.stringify(json)}`);
    assert.equal(await page.locator(testId('race-scheduler')).inputValue(), 'rr', 'End changed the scheduler select');
    assert.equal(new URL(page.url()).searchParams.get('sched'), 'rr', `End changed the scheduler: ${page.url()}`);
    assert.deepEqual(json.schedule, [0, 1, 2, 3, 0, 1, 2, 3], `round-robin schedule: ${JSON.stringify(json)}`);

    await page.keyboard.press('Home');
    await waitForPosition(page, 0);
    assert.equal(await outcome.count(), 0, 'the outcome box is still shown after Home (it should be gone at step 0)');

    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitForPosition(page, 2);
    await page.keyboard.press('ArrowLeft');
    await waitForPosition(page, 1);
    json = await readResults(page);
    assert.equal(json.at, 1, `at after →, →, ←: ${JSON.stringify(json)}`);
    assert.equal(new URL(page.url()).searchParams.get('at'), '1', `address bar after →, →, ←: ${page.url()}`);

    // Arrow keys move the caret in the editor, not the stepper.
    const source = page.locator(testId('race-source'));
    await source.focus();
    await source.press('ArrowRight');
    await source.press('ArrowRight');
    await source.press('End');
    await sleep(300);
    assert.equal((await position(page)).at, 1, 'keys typed in the textarea moved the stepper');
    assert.equal((await readResults(page)).at, 1, 'keys typed in the textarea changed at');

    // Back on the page, the keys work again.
    await source.evaluate((el) => el.blur());
    await page.keyboard.press('ArrowRight');
    await waitForPosition(page, 2);

    assertNoPageErrors(page);
  });
});
