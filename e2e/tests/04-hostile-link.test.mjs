import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitForStatus, testId, waitFor, assertNoPageErrors, CLASSIC_TASKS } from '../lib.mjs';
import { assertCpuRun, CPYTHON_RESULTS } from './support.mjs';

// Every parameter is wrong in its own way; the tasks value tries script injection.
const HOSTILE = '/cpu?k=99999999999999999999&iters=-5&tasks=<script>alert(1)</script>&mode=warp&bogus=1';

test('a hostile share link is reported, not executed, and the form still works', { timeout: 120_000 }, async () => {
  await withApp(HOSTILE, async ({ page, diag }) => {
    const box = page.locator(testId('link-errors'));
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await box.innerText();
    for (const key of ['k', 'iters', 'tasks', 'mode', 'bogus']) {
      assert.match(text, new RegExp(`\\b${key}\\b`), `link-errors does not mention "${key}":\n${text}`);
    }

    const injected = await page.evaluate(() =>
      [...document.querySelectorAll('script')].some((s) => s.textContent.includes('alert(1)')),
    );
    assert.equal(injected, false, 'a <script> from the link ended up in the DOM');
    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');
    assert.deepEqual(diag.pageErrors, [], 'uncaught page errors after loading the hostile link');

    // The form still works: iterations 1000, then run the default preset.
    const iterations = page.locator(testId('cpu-iterations'));
    await iterations.fill('1000');
    await iterations.dispatchEvent('change');
    const run = page.locator(testId('run'));
    await waitFor(() => run.isEnabled(), { timeout: 5_000, message: 'the run button to be enabled' });
    await run.click();

    const json = await waitForStatus(page, ['done'], 60_000);
    assert.equal(json.iterations, 1000, `iterations used: ${JSON.stringify(json)}`);
    const tasks = assertCpuRun(json, {});
    assert.equal(tasks.length, 20, `default preset should have 20 tasks: ${JSON.stringify(json)}`);
    // The default preset is the classic list, whose first four results are known.
    const classic = CLASSIC_TASKS.split(',').slice(0, 4).join(',');
    const firstFour = tasks.slice(0, 4).map((t) => `${t.start}-${t.end}`).join(',');
    assert.equal(firstFour, classic, 'the default tasks are not the classic demo');
    assert.deepEqual(
      tasks.slice(0, 4).map((t) => t.result),
      CPYTHON_RESULTS[1000],
      'default preset results differ from CPython at 1000 iterations',
    );

    assert.deepEqual(diag.dialogs, [], 'a dialog was opened');
    assertNoPageErrors(page);
  });
});
