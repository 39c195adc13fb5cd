import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId, readResults, assertNoPageErrors } from '../lib.mjs';
import { waitForRaceLab } from './race-helpers.mjs';

// Every parameter is wrong in its own way; src tries script injection.
const HOSTILE = '/race?src=<script>alert(1)</script>&steps=99&sched=warp&seed=-1&bogus=1';

test('a hostile race link is reported, not executed, and the bank is loaded', { timeout: 120_000 }, async () => {
  await withApp(HOSTILE, async ({ page, diag }) => {
    const box = page.locator(testId('link-errors'));
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    await waitForRaceLab(page);
    const text = await box.innerText();
    for (const key of ['src', 'steps', 'sched', 'seed', 'bogus']) {
      assert.match(text, new RegExp(`\\b${key}\\b`), `link-errors does not mention "${key}":\n${text}`);
    }

    const injected = await page.evaluate(() =>
      [...document.querySelectorAll('script')].some((s) => s.textContent.includes('alert(1)')),
    );
    assert.equal(injected, false, 'a <script> from the link ended up in the DOM');
    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');

    // The defaults stand in: the bank with its four threads, CPython-like, seed 1.
    assert.equal(await page.locator(testId('race-lane-3')).count(), 1, 'race-lane-3 missing: the bank is not loaded');
    assert.equal(await page.locator(testId('race-lane-4')).count(), 0, 'more lanes than the bank has');
    const json = await readResults(page);
    const dump = JSON.stringify(json);
    assert.equal(json.scenario, 'bank', `scenario: ${dump}`);
    assert.equal(json.scheduler, 'cpython', `scheduler: ${dump}`);
    assert.equal(json.seed, 1, `seed: ${dump}`);
    assert.ok(!(await page.locator(testId('race-source')).inputValue()).includes('<script>'), 'the editor holds the hostile text');

    const q = new URL(page.url()).searchParams;
    for (const key of ['src', 'bogus']) assert.equal(q.get(key), null, `address bar kept ${key}: ${page.url()}`);
    assert.equal(q.get('preset'), 'bank', `address bar: ${page.url()}`);

    assertNoPageErrors(page);
  });
});
