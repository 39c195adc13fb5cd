// Pyodide is big, so it loads only where it is used: the home page and the other labs
// fetch none of it. The Python lab shows the download's progress, and a second visit takes
// the interpreter from the browser's Cache Storage instead of the network.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { waitForPython } from './python-helpers.mjs';

const PYTHON_FILES = /\/(pyodide\/|python-worker\/worker-|editor\/editor-)/;

test('only the Python lab loads Pyodide and the editor; a second visit uses the cache', { timeout: 120_000 }, async () => {
  await withApp('/', async (app) => {
    const { page, context } = app;
    const requested = [];
    context.on('request', (r) => requested.push(r.url()));
    for (const route of ['/', '/race', '/threads', '/cpu', '/async']) {
      await app.goto(route);
      await page.locator('main').waitFor();
      await page.waitForLoadState('networkidle');
    }
    const early = requested.filter((u) => PYTHON_FILES.test(u));
    assert.deepEqual(early, [], `pages other than the Python lab fetched: ${early.join(', ')}`);
    assert.ok(requested.length > 5, 'the request log is empty: it cannot show anything');

    // What the loading line said, every time it changed.
    await page.addInitScript(() => {
      window.__loadingTexts = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="py-loaded"]');
        if (el && window.__loadingTexts.at(-1) !== el.textContent) window.__loadingTexts.push(el.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    requested.length = 0;
    await app.goto('/python');
    await waitForPython(page);
    // Distinct URLs: a request the service worker passes on is seen twice.
    const first = new Set(requested.filter((u) => /pyodide\.asm\.wasm|python_stdlib\.zip/.test(u)));
    assert.equal(first.size, 2, `first visit: ${requested.join('\n')}`);
    const texts = await page.evaluate(() => window.__loadingTexts);
    // The total is the build's four files, about 15 MB.
    assert.ok(texts.length >= 1 && texts.every((t) => /^\d+\.\d MB of 1\d\.\d MB$/.test(t)), `loading texts: ${JSON.stringify(texts)}`);
    assert.match(await page.locator(testId('py-ready')).innerText(), /CPython 3\.14\.\d+ ready/);

    requested.length = 0;
    await app.goto('/python?preset=queue-pipeline&run=1');
    await waitForPython(page);
    const second = requested.filter((u) => /pyodide\.asm\.wasm|python_stdlib\.zip/.test(u));
    assert.deepEqual(second, [], 'the second visit downloaded the interpreter again');
  });
});
