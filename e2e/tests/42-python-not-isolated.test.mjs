// Without cross-origin isolation there is no SharedArrayBuffer, so no interrupt buffer:
// Python still runs, the page says that Stop replaces the interpreter, and it does. (The
// service worker is blocked: it would otherwise make the page isolated.) A process pool
// runs its tasks in the one interpreter, and says so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { encodeCode, waitForPyStatus, waitForPython } from './python-helpers.mjs';

test('a page without cross-origin isolation runs Python; Stop replaces the worker', { timeout: 120_000 }, async () => {
  await withApp('/python?preset=queue-pipeline&run=1', { isolated: false, contextOptions: { serviceWorkers: 'block' } }, async (app) => {
    const { page } = app;
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    const json = await waitForPyStatus(page, ['done', 'error'], 60_000);
    assert.equal(json.status, 'done', JSON.stringify(json));
    assert.match(json.stdout, /\[0\.4, 0\.8, 1\.2000000000000002/);
    assert.match(await page.locator(testId('py-no-interrupts')).innerText(), /replaces the interpreter/);

    await app.goto(`/python?code=${encodeCode('while True:\n    pass\n')}&run=1`);
    await waitForPyStatus(page, 'running', 60_000);
    await page.locator(testId('py-stop')).click();
    const stopped = await waitForPyStatus(page, 'stopped', 10_000);
    assert.equal(stopped.exception, null, 'nothing could interrupt Python here, so there is no exception');
    assert.match(await page.locator(testId('py-replaced')).innerText(), /not cross-origin isolated/);
    await waitForPython(page);

    // A process pool cannot wait for children here: it says so, and gives CPython's results.
    await app.goto('/python?preset=process-pool-small&run=1');
    const pooled = await waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
    assert.equal(pooled.status, 'done', pooled.stderr);
    assert.equal(pooled.stdout.split('\n').filter((l) => l.startsWith('Factorial of range')).length, 20);
    assert.match(pooled.stdout, /^Factorial of range \(2, 38\): 395416550$/m);
    assert.equal(pooled.pool.parallel, false);
    assert.match(await page.locator(testId('py-pool-sequential')).innerText(), /not cross-origin isolated.*one after another in this interpreter, with the same results/);
    assert.equal(await page.locator(testId('py-run-on-one')).count(), 0, 'nothing to compare with');
  });
});
