import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, waitForStatus, readResults, sleep } from '../lib.mjs';
import { position, waitForPosition, waitForRaceLab, barSelector } from './race-helpers.mjs';

const activeTestId = (page) => page.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);

test('the skip link is the first stop and leads past the header', { timeout: 60_000 }, async () => {
  await withApp('/cpu', async ({ page }) => {
    await page.locator(testId('run')).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Tab');
    assert.equal(await activeTestId(page), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    assert.equal(new URL(page.url()).pathname.endsWith('/cpu'), true, `the skip link left the page: ${page.url()}`);
  });
});

test('after Run from the keyboard the focus is on a control or the status sentence, never lost', { timeout: 90_000 }, async () => {
  await withApp('/cpu?mode=worker&iters=1000&tasks=2-38,5-50', async ({ page }) => {
    const run = page.locator(testId('run'));
    await run.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('main')?.dataset.pool !== 'starting');
    await run.focus();
    await page.keyboard.press('Enter');
    await waitForStatus(page, ['done'], 60_000);
    await sleep(200);
    const focused = await activeTestId(page);
    assert.notEqual(focused, 'BODY', 'the focus was thrown to <body>');
    assert.ok(['run', 'run-status'].includes(focused), `focus on ${focused}`);
    assert.match(await page.locator(testId('run-status')).innerText(), /^Done: 2 tasks in \d+ ms on one worker\.$/);
  });
});

test('the Python editor: Tab indents, Esc then Tab leaves, Ctrl+Enter runs', { timeout: 150_000 }, async () => {
  await withApp('/python?preset=gather-pitfall', async ({ page }) => {
    const content = page.locator(testId('editor-content'));
    await content.waitFor({ timeout: 60_000 });
    await page.locator(testId('py-editor-keys')).waitFor();
    assert.equal(await content.getAttribute('aria-describedby'), 'py-editor-keys');
    await content.click();
    const inEditor = () => page.evaluate(() => !!document.activeElement?.closest('.cm-editor'));
    await page.keyboard.press('Tab');
    assert.equal(await inEditor(), true, 'Tab alone leaves the editor: it should indent');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.equal(await inEditor(), false, 'Esc then Tab did not leave the editor');
    // Back in the editor, undo the indent and run with Ctrl+Enter once CPython is ready.
    await content.click();
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => !document.querySelector('[data-testid=py-run]').disabled, null, { timeout: 90_000 });
    await page.keyboard.press('Control+Enter');
    const json = await waitForStatus(page, ['done'], 90_000);
    assert.equal(json.status, 'done');
    assert.match(await page.locator(testId('run-status')).innerText(), /^Finished in \d+ ms\.$/);
  });
});

test('race lab: outcome bars work from the keyboard, and the stepper keys act only in their panel', { timeout: 120_000 }, async () => {
  await withApp('/race?preset=bank&sched=rr', async ({ page }) => {
    await waitForRaceLab(page);
    // A digit pressed on a preset's button is not the stepper's: nothing moves.
    await page.locator(testId('preset-bank')).focus();
    await page.keyboard.press('3');
    await sleep(300);
    assert.equal((await position(page)).at, 0, 'the 3 key on a preset button stepped a thread');
    assert.equal(await page.locator(testId('race-scheduler')).inputValue(), 'rr', 'the 3 key on a preset button switched the scheduler');
    // In the stepper's panel the keys work.
    await page.locator(testId('race-forward')).focus();
    await page.keyboard.press('End');
    await waitForPosition(page, 8);
    // Count, then reach a bar with Tab and press Enter: its interleaving loads.
    await page.locator(testId('race-count')).click();
    const bar = page.locator(`${barSelector('exhaustive', 'balance = 800')} button`);
    await bar.waitFor({ timeout: 30_000 });
    await bar.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const json = JSON.parse(document.querySelector('[data-testid=results-json]').textContent);
      return json.scheduler === 'manual' && json.at === 0;
    }, null, { timeout: 10_000 });
    await page.locator(testId('race-forward')).focus();
    await page.keyboard.press('End');
    await page.locator(testId('race-outcome')).filter({ hasText: 'balance = 800' }).waitFor({ timeout: 10_000 });
    // The slider goes to any step.
    const jump = page.locator(testId('race-jump'));
    await jump.focus();
    await page.keyboard.press('Home');
    await waitForPosition(page, 0);
    assert.equal((await readResults(page)).at, 0);
  });
});
