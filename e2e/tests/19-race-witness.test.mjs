import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';
import { LOST_CELLS, barSelector, waitForExhaustive, waitForPosition, waitForRace } from './race-helpers.mjs';

test('clicking the "balance = 800" bar loads a witness that plays out to 800', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&mode=exhaustive&run=1', async ({ page }) => {
    const counted = await waitForExhaustive(page);
    const entry = counted.exhaustive.outcomes.find((o) => o.outcome === 'balance = 800');
    assert.ok(entry, `no "balance = 800" outcome: ${JSON.stringify(counted)}`);
    const witness = entry.witness;

    await page.locator(barSelector('exhaustive', 'balance = 800')).click();
    let json = await waitForRace(page, (j) => j.scheduler === 'manual', { timeout: 5_000, message: 'scheduler manual' });
    assert.equal(await page.locator(testId('race-scheduler')).inputValue(), 'manual', 'scheduler select after loading a witness');
    assert.equal(json.at, 0, `a witness starts at step 0: ${JSON.stringify(json)}`);
    assert.deepEqual(json.schedule, witness, `loaded schedule vs the witness: ${JSON.stringify(json)}`);
    assert.equal(new URL(page.url()).searchParams.get('steps'), witness.join(''), `address bar: ${page.url()}`);
    await waitForPosition(page, 0);

    // Run the witness to its end (End key).
    await page.keyboard.press('End');
    const outcome = page.locator(testId('race-outcome'));
    await outcome.waitFor({ state: 'visible', timeout: 5_000 });
    json = await readResults(page);
    const dump = JSON.stringify(json);
    const text = await outcome.innerText();
    assert.match(
      text,
      /balance = 800\b/,
      `race-outcome after End on the 800 witness ${JSON.stringify(witness)}: ${JSON.stringify(text)}; ` +
        `schedule played: ${JSON.stringify(json.schedule)}; results: ${dump}`,
    );
    assert.deepEqual(json.schedule, witness, `End replaced the loaded witness schedule: ${dump}`);
    assert.equal(json.at, witness.length, `at after End: ${dump}`);
    assert.equal(await page.locator(LOST_CELLS).count(), 0, `timeline marks lost updates in the 800 witness; results: ${dump}`);
    assert.deepEqual(json.lostUpdates, [], `lostUpdates: ${dump}`);
    assert.equal(json.outcome, 'balance = 800', `outcome: ${dump}`);

    assertNoPageErrors(page);
  });
});

test('stepping through each witness one step at a time ends in its outcome', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&mode=exhaustive&run=1', async ({ page }) => {
    const counted = await waitForExhaustive(page);
    for (const entry of counted.exhaustive.outcomes) {
      await page.locator(barSelector('exhaustive', entry.outcome)).click();
      await waitForRace(page, (j) => j.scheduler === 'manual' && j.at === 0 && j.schedule.join('') === entry.witness.join(''), {
        timeout: 5_000,
        message: `the witness of ${entry.outcome} to be loaded`,
      });
      for (let i = 1; i <= entry.witness.length; i += 1) {
        await page.locator(testId('race-forward')).click();
        await waitForPosition(page, i);
      }
      const outcome = page.locator(testId('race-outcome'));
      await outcome.waitFor({ state: 'visible', timeout: 5_000 });
      assert.match(await outcome.innerText(), new RegExp(`${entry.outcome}\\b`), `stepping the witness of ${entry.outcome}`);
      const json = await readResults(page);
      assert.equal(json.outcome, entry.outcome, `outcome after stepping its witness: ${JSON.stringify(json)}`);
      // Anything above 800 needs at least one stale write (one stale write can wipe out several withdrawals).
      const cells = await page.locator(LOST_CELLS).count();
      assert.equal(cells, json.lostUpdates.length, `timeline lost cells vs lostUpdates: ${JSON.stringify(json)}`);
      if (entry.values.balance === 800) {
        assert.equal(cells, 0, `the 800 witness has stale writes: ${JSON.stringify(json)}`);
      } else {
        assert.ok(cells >= 1, `the ${entry.outcome} witness shows no stale write: ${JSON.stringify(json)}`);
      }
    }
    assertNoPageErrors(page);
  });
});
