// Errors point into the editor: a syntax error marks its line, a traceback names main.py's
// lines, a bare Process gets the interpreter's error plus a sentence and a link (threads
// are emulated: 49-python-threads; without stack switching they raise: 44), and
// a link whose code does not decode says so and leaves the default program.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { encodeCode, waitForPyStatus, waitForPython } from './python-helpers.mjs';

test('a syntax error marks its line in the editor', { timeout: 90_000 }, async () => {
  await withApp(`/python?code=${encodeCode('x = 1\nprint(x)\ndef f(:\n    pass\n')}&run=1`, async ({ page }) => {
    const json = await waitForPyStatus(page, 'error', 60_000);
    assert.equal(json.exception.type, 'SyntaxError');
    assert.equal(json.exception.line, 3);
    const mark = page.locator(testId('editor-error-line'));
    await mark.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await mark.getAttribute('data-line'), '3');
    assert.match(await mark.innerText(), /def f\(:/);
    assert.match(json.stderr, /File "main\.py", line 3/);
    // Editing the program clears the mark.
    await page.locator('.cm-content').click();
    await page.keyboard.press('End');
    await page.keyboard.type('#');
    await mark.waitFor({ state: 'detached', timeout: 5_000 });
  });
});

test('a traceback names the lines of main.py, with their source', { timeout: 90_000 }, async () => {
  const program = 'def divide(a, b):\n    return a / b\n\nprint("before")\ndivide(1, 0)\n';
  await withApp(`/python?code=${encodeCode(program)}&run=1`, async ({ page }) => {
    const json = await waitForPyStatus(page, 'error', 60_000);
    assert.equal(json.stdout, 'before\n');
    assert.equal(json.exception.type, 'ZeroDivisionError');
    assert.equal(json.exception.line, 2);
    assert.match(json.stderr, /File "main\.py", line 5, in <module>\n\s+divide\(1, 0\)/);
    assert.match(json.stderr, /File "main\.py", line 2, in divide\n\s+return a \/ b/);
    assert.doesNotMatch(json.stderr, /playground_runtime/, 'the runner shows in the traceback');
    assert.equal(await (await page.locator(testId('editor-error-line'))).getAttribute('data-line'), '2');
  });
});

test('a bare multiprocessing.Process raises, with a sentence on why and a link', { timeout: 120_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;
    // Pools work here (48-python-process-pool); a bare Process does not.
    const process = 'import multiprocessing\np = multiprocessing.Process(target=print)\np.start()\n';
    await app.goto(`/python?code=${encodeCode(process)}&run=1`);
    const json = await waitForPyStatus(page, 'error', 60_000);
    assert.equal(json.exception.type, 'ModuleNotFoundError');
    assert.equal(json.exception.line, 3);
    const hint = page.locator(testId('py-hint'));
    assert.match(await hint.innerText(), /cannot start processes/);
    assert.equal(await hint.locator('a').getAttribute('href'), 'cpu');
  });
});

test('a link whose code does not decode says so and keeps the default program', { timeout: 90_000 }, async () => {
  await withApp('/python?code=________&run=1', async ({ page }) => {
    const errors = page.locator(testId('link-errors'));
    await errors.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await errors.innerText(), /code.*does not decompress/s);
    await waitForPython(page);
    const json = JSON.parse(await page.locator(testId('results-json')).textContent());
    assert.equal(json.status, 'idle', 'a broken link must not run the default program');
    assert.match(await page.locator('.cm-content').innerText(), /asyncio\.gather/);
    // The rest of the page works: the default program runs.
    await page.locator(testId('py-run')).click();
    const done = await waitForPyStatus(page, 'done', 60_000);
    assert.equal(done.preset, 'gather-pitfall');
  });
});
