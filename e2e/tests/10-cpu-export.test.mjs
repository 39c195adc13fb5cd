import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { withApp, testId, waitForStatus, readResults, assertNoPageErrors } from '../lib.mjs';

test('Export JSON downloads the results document shown on the page', { timeout: 120_000 }, async () => {
  await withApp('/cpu?mode=parallel&k=2&iters=1000&tasks=2-38,5-50&run=1', async ({ page }) => {
    await waitForStatus(page, ['done'], 60_000);
    const shown = await readResults(page);

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.locator(testId('export-json')).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'cpu-lab-results.json');
    const failure = await download.failure();
    assert.equal(failure, null, `the download failed: ${failure}`);
    const text = await fs.readFile(await download.path(), 'utf8');
    let exported;
    try {
      exported = JSON.parse(text);
    } catch (err) {
      assert.fail(`the exported file is not JSON (${err.message}): ${JSON.stringify(text.slice(0, 500))}`);
    }
    assert.deepEqual(exported, shown, 'the exported document differs from the one on the page');
    assert.equal(exported.status, 'done', `status in the export: ${text}`);
    assert.equal(exported.tasks.length, 2, `tasks in the export: ${text}`);

    assertNoPageErrors(page);
  });
});
