// Stop: a busy loop gets KeyboardInterrupt, a waiting program is cancelled, and code that
// does not stop within half a second gets a fresh interpreter, which the page says.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { encodeCode, waitForPyStatus, waitForPython } from './python-helpers.mjs';

async function runAndStop(app, program, { afterMs = 700 } = {}) {
  await app.goto(`/python?code=${encodeCode(program)}&run=1`);
  await waitForPyStatus(app.page, 'running', 60_000);
  await app.page.waitForTimeout(afterMs);
  const pressed = Date.now();
  await app.page.locator(testId('py-stop')).click();
  const json = await waitForPyStatus(app.page, ['stopped', 'done', 'error'], 10_000);
  return { json, ms: Date.now() - pressed };
}

test('Stop interrupts a busy loop, cancels a waiting program, replaces a stuck one', { timeout: 180_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;

    const busy = await runAndStop(app, 'n = 0\nwhile True:\n    n += 1\n');
    assert.equal(busy.json.status, 'stopped', JSON.stringify(busy.json));
    assert.equal(busy.json.exception.type, 'KeyboardInterrupt');
    assert.equal(busy.json.exception.line, 3);
    assert.equal(await page.locator(testId('py-replaced')).count(), 0, 'the interpreter was replaced, not interrupted');

    const waiting = await runAndStop(app, 'import asyncio\n\nasync def main():\n    await asyncio.sleep(100)\n\nasyncio.run(main())\n');
    assert.equal(waiting.json.status, 'stopped', JSON.stringify(waiting.json));
    assert.equal(waiting.json.exception.type, 'CancelledError');
    assert.equal(await page.locator(testId('py-replaced')).count(), 0);

    // One long C call: sum() over a range never looks at the interrupt buffer.
    const stuck = await runAndStop(app, 'print(sum(range(10**13)))\n');
    assert.equal(stuck.json.status, 'stopped', JSON.stringify(stuck.json));
    await page.locator(testId('py-replaced')).waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await page.locator(testId('py-replaced')).innerText(), /did not stop within 500 ms/);
    // The fresh interpreter runs the next program.
    await waitForPython(page);
    await page.locator(testId('py-run')).click();
    await waitForPyStatus(page, 'running', 10_000);
    await page.locator(testId('py-stop')).click();
    await waitForPyStatus(page, 'stopped', 10_000);
  });
});
