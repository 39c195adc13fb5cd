// Browsers without WebAssembly stack switching (JSPI) cannot let asyncio.run() wait; the
// worker then runs programs with their top-level asyncio.run(X) turned into an await. The
// test takes stack switching away from the worker's point of view (by editing its script
// on the way in) and checks that the presets still print what CPython prints, and that a
// process pool, which needs stack switching to start its children, runs its tasks here,
// and that a thread, which needs it to be emulated, raises with a sentence and a link.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { programSource, cpythonOutput, encodeCode, maskTimes, waitForPyStatus } from './python-helpers.mjs';

test('without stack switching, asyncio.run programs still run as in CPython', { timeout: 180_000 }, async () => {
  // No service worker: it would answer the second set of runs with the worker script it
  // cached during the first, and the edit below would never happen.
  await withApp('/', { contextOptions: { serviceWorkers: 'block' } }, async (app) => {
    const { page, context } = app;
    let edited = 0;
    // The same programs with stack switching first: the record's task lanes must not
    // depend on the path the program took.
    const withJspi = {};
    for (const id of ['taskgroup-vs-gather', 'queue-pipeline', 'semaphore-2']) {
      await app.goto(`/python?preset=${id}&run=1`);
      withJspi[id] = await waitForPyStatus(page, ['done', 'error', 'stopped'], 60_000);
      assert.equal(await page.locator(testId('py-ready')).getAttribute('data-stack-switching'), 'true');
    }
    await context.route(/\/python-worker\/worker-[^/]+\.js$/, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/typeof WebAssembly\.Suspending\s*===?\s*["']function["']/g, () => {
        edited += 1;
        return 'false';
      });
      await route.fulfill({ response, body });
    });
    for (const id of ['taskgroup-vs-gather', 'queue-pipeline', 'semaphore-2']) {
      await app.goto(`/python?preset=${id}&run=1`);
      const json = await waitForPyStatus(page, ['done', 'error', 'stopped'], 60_000);
      assert.ok(edited >= 1, 'the worker script was not edited: the test proves nothing');
      assert.equal(await page.locator(testId('py-ready')).getAttribute('data-stack-switching'), 'false');
      assert.equal(json.status, 'done', `${id}: ${JSON.stringify(json)}`);
      assert.equal(maskTimes(json.stdout), maskTimes(cpythonOutput(programSource(id))), `${id}: stdout`);
      assert.equal(json.tasks[0].name, 'Task-1', `${id}: main is the first task, as under asyncio.run`);
      assert.deepEqual(json.tasks.map((t) => t.name), withJspi[id].tasks.map((t) => t.name), `${id}: the same task lanes with and without JSPI`);
      // The runner's own task, which made a fifth lane, was also what held the loop 40-49
      // ms there; blocked time itself depends on the machine's speed, so it is not compared.
    }
    // Starting child interpreters needs stack switching: the pool runs its tasks here.
    await app.goto('/python?preset=process-pool-small&run=1');
    const pooled = await waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
    assert.equal(pooled.status, 'done', pooled.stderr);
    const results = (text) => text.split('\n').filter((l) => l.startsWith('Factorial of range')).sort();
    assert.deepEqual(results(pooled.stdout), results(cpythonOutput(programSource('process-pool-small'))));
    assert.equal(pooled.pool.parallel, false);
    assert.match(await page.locator(testId('py-pool-sequential')).innerText(), /cannot suspend WebAssembly \(JSPI\)/);
    // Nor can threads be emulated: the interpreter's error, a sentence, and the race lab.
    await app.goto(`/python?code=${encodeCode('import threading\nthreading.Thread(target=print).start()\n')}&run=1`);
    const threads = await waitForPyStatus(page, ['done', 'error', 'stopped'], 60_000);
    assert.equal(threads.exception?.type, 'RuntimeError', JSON.stringify(threads));
    assert.match(threads.exception.message, /can't start new thread/);
    const hint = page.locator(testId('py-hint'));
    assert.match(await hint.innerText(), /cannot start threads.*cannot suspend WebAssembly/);
    assert.equal(await hint.locator('a').getAttribute('href'), 'race?preset=bank&mode=exhaustive');
  });
});
