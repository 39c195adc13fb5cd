import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';
import { countsByOutcome, waitForExhaustive, waitForRace, waitForRaceLab } from './race-helpers.mjs';

const BROKEN = 'shared x = 1\nthread t:\n    y = x +\n';
const TWO_INCREMENTS = 'shared n = 0\nthread a * 2:\n    n += 1\n';

test('a syntax error keeps the last good scenario; a valid one replaces it', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank', async ({ page }) => {
    await waitForRaceLab(page);
    const source = page.locator(testId('race-source'));
    const apply = page.locator(testId('race-apply'));
    const parseError = page.locator(testId('race-parse-error'));
    const urlBefore = page.url();

    await source.fill(BROKEN);
    await apply.click();
    await parseError.waitFor({ state: 'visible', timeout: 5_000 });
    const message = await parseError.innerText();
    assert.match(message, /\bLine 3, column \d+:/, `parse error: ${JSON.stringify(message)}`);

    // Still the bank: four lanes, scenario "bank", same link.
    assert.equal(await page.locator(testId('race-lane-3')).count(), 1, 'race-lane-3 is gone after a failed apply');
    assert.equal(await page.locator(testId('race-lane-4')).count(), 0, 'a fifth lane appeared');
    let json = await readResults(page);
    assert.equal(json.scenario, 'bank', `scenario after a failed apply: ${JSON.stringify(json)}`);
    assert.equal(page.url(), urlBefore, 'a failed apply changed the address bar');
    assert.equal(await source.inputValue(), BROKEN, 'the broken text was thrown away instead of left for fixing');

    // A valid custom scenario: two threads, one n += 1 each.
    await source.fill(TWO_INCREMENTS);
    await apply.click();
    json = await waitForRace(page, (j) => j.scenario === 'custom', { timeout: 5_000, message: 'scenario "custom"' });
    assert.equal(await parseError.count(), 0, 'the parse error is still shown after a good apply');
    assert.equal(await page.locator(testId('race-lane-1')).count(), 1, 'race-lane-1 missing');
    assert.equal(await page.locator(testId('race-lane-2')).count(), 0, 'race-lane-2 should not exist with two threads');
    assert.deepEqual(json.finalState, { n: 2 }, `the default schedule should run the two threads one after another: ${JSON.stringify(json)}`);
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('src'), TWO_INCREMENTS, `address bar should carry the scenario text: ${page.url()}`);
    assert.equal(q.get('preset'), null, `address bar still names a preset: ${page.url()}`);

    // n += 1 is a read and a write: 4!/(2!·2!) = 6 orders, 2 serial ones give 2, the other 4 lose one.
    await page.locator(testId('race-count')).click();
    json = await waitForExhaustive(page);
    const dump = JSON.stringify(json);
    assert.equal(json.scenario, 'custom', `scenario: ${dump}`);
    assert.equal(json.exhaustive.total, '6', `total: ${dump}`);
    assert.deepEqual(countsByOutcome(json.exhaustive), { 'n = 1': '4', 'n = 2': '2' }, `outcomes: ${dump}`);

    assertNoPageErrors(page);
  });
});
