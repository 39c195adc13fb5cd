import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';
import { LOST_CELLS, STEP_CELLS, position, waitForPosition, waitForRaceLab } from './race-helpers.mjs';

/** What the page shows at the moment both withdrawals read 1000 and withdraw-2 wrote last. */
async function assertLostUpdateMoment(page, where) {
  await waitForPosition(page, 4);
  const last = page.locator(testId('race-last-step'));
  await last.waitFor({ state: 'visible', timeout: 5_000 });
  assert.match((await last.getAttribute('class')) ?? '', /(^|\s)lost(\s|$)/, `${where}: race-last-step lacks class "lost"`);
  const note = page.locator(testId('race-lost-update'));
  await note.waitFor({ state: 'visible', timeout: 5_000 });
  const text = (await note.innerText()).trim();
  assert.ok(text.startsWith('⚠ Lost update:'), `${where}: lost-update note: ${JSON.stringify(text)}`);
  assert.match(text, /\bwithdraw-2\b/, `${where}: the note should name the writer withdraw-2: ${text}`);
  assert.match(text, /\bwithdraw-1\b/, `${where}: the note should name withdraw-1, whose update is lost: ${text}`);
  // withdraw-2 names itself first: it is the thread that wrote the stale value.
  assert.ok(text.indexOf('withdraw-2') < text.indexOf('withdraw-1'), `${where}: who lost whose update: ${text}`);

  assert.equal((await page.locator(testId('race-var-balance')).innerText()).trim(), '950', `${where}: balance`);
  assert.equal(await page.locator(STEP_CELLS).count(), 4, `${where}: timeline step cells`);
  assert.equal(await page.locator(LOST_CELLS).count(), 1, `${where}: timeline cells marked lost`);
  assert.equal(
    await page.locator(`${testId('race-timeline')} g.step-cell.lost[data-step="3"]`).count(),
    1,
    `${where}: the 4th step should be the one marked lost`,
  );

  const json = await readResults(page);
  const dump = JSON.stringify(json);
  assert.equal(json.scheduler, 'manual', `${where}: scheduler: ${dump}`);
  assert.deepEqual(json.schedule, [0, 1, 0, 1], `${where}: schedule: ${dump}`);
  assert.equal(json.at, 4, `${where}: at: ${dump}`);
  assert.deepEqual(json.finalState, { balance: 950 }, `${where}: finalState: ${dump}`);
  assert.deepEqual(json.lostUpdates, [3], `${where}: lostUpdates: ${dump}`);
  assert.equal(json.outcome, null, `${where}: two threads have not run, so there is no outcome yet: ${dump}`);
}

test('stepping two withdrawals by hand shows the lost update, and the link restores it', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&sched=manual', async ({ page }) => {
    await waitForRaceLab(page);
    assert.equal((await position(page)).at, 0, 'a manual link without steps starts at step 0');
    assert.deepEqual((await readResults(page)).schedule, [], 'a manual link without steps has an empty schedule');

    // withdraw-1 reads 1000, withdraw-2 reads 1000, withdraw-1 writes 950, withdraw-2 writes 950.
    const expectedBalance = ['1000', '1000', '950', '950'];
    for (const [i, t] of [0, 1, 0, 1].entries()) {
      await page.locator(testId(`race-step-${t}`)).click();
      await waitForPosition(page, i + 1);
      assert.equal(
        (await page.locator(testId('race-var-balance')).innerText()).trim(),
        expectedBalance[i],
        `balance after step ${i + 1}`,
      );
      // Only the last of the four steps loses an update.
      assert.equal(await page.locator(testId('race-lost-update')).count(), i === 3 ? 1 : 0, `lost-update note after step ${i + 1}`);
    }
    await assertLostUpdateMoment(page, 'after clicking');

    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('sched'), 'manual', `URL: ${page.url()}`);
    assert.equal(q.get('steps'), '0101', `URL: ${page.url()}`);
    assert.equal(q.get('at'), '4', `URL: ${page.url()}`);

    // The address bar is a link to this exact moment.
    const link = page.url();
    await page.goto(link, { waitUntil: 'load' });
    await waitForRaceLab(page);
    await assertLostUpdateMoment(page, 'after reloading the link');
    assert.equal(page.url(), link, 'the reloaded page rewrote its own link');

    assertNoPageErrors(page);
  });
});
