// The first visit to each page downloads at most 250 KB as transferred (brotli, from the
// build's .br files, as a static host serves them), and only that page's bundle: a size
// check, not a speed check. What the Python lab fetches once it is usable (its editor, its
// worker and CPython) is counted apart, as is what the service worker caches for offline
// use in the background (its requests are not the page's).
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, APP_ROOT, assertBuilt } from '../lib.mjs';

const BUDGET = 250 * 1024;
const ROUTES = [
  ['/', 'home', '[data-testid="comparison-table"]'],
  ['/race', 'race', '[data-testid="run"]'],
  ['/threads', 'threads', 'button.primary'],
  ['/cpu', 'cpu', '[data-testid="run"]'],
  ['/async', 'async', '[data-testid="run"]'],
  ['/python', 'python', '[data-testid="py-run"]'],
  ['/no-such-lab', 'home', '[data-testid="not-found"]'],
];
const LOADED_LATER = /^\/(editor|python|pyodide)\//;

test('each page\'s first visit stays under 250 KB and loads only its own bundle', { timeout: 180_000 }, async () => {
  assertBuilt();
  const server = await startServer({ root: APP_ROOT, isolated: true });
  const browser = await launch();
  try {
    for (const [route, bundle, ready] of ROUTES) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const urls = new Map();
      const bytes = new Map();
      cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, new URL(e.request.url).pathname));
      cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
      await page.goto(`${server.url}${route}`, { waitUntil: 'commit' });
      await page.locator(ready).first().waitFor({ state: 'visible', timeout: 60_000 });
      await page.waitForLoadState('networkidle');
      let first = 0;
      const later = [];
      for (const [id, size] of bytes) {
        const file = urls.get(id) ?? '?';
        if (LOADED_LATER.test(file)) later.push(file);
        else first += size;
      }
      const wasm = [...urls.values()].filter((f) => f.endsWith('_bg.wasm'));
      const where = `${route}: ${[...urls.values()].filter((f) => !LOADED_LATER.test(f)).join(' ')}`;
      assert.ok(first > 10_000, `${route} transferred only ${first} bytes: was anything measured? ${where}`);
      assert.ok(first <= BUDGET, `${route}'s first load is ${first} bytes, over the ${BUDGET}-byte budget: ${where}`);
      assert.equal(wasm.length, 1, `${route} fetched ${wasm.length} app wasm files: ${wasm.join(' ')}`);
      assert.match(wasm[0], new RegExp(`^/bundle-${bundle}-[0-9a-f]{16}_bg\\.wasm$`), `${route} loaded the wrong bundle`);
      if (route !== '/python') assert.deepEqual(later, [], `${route} fetched the Python lab's files`);
      console.log(`# ${route}: ${(first / 1024).toFixed(1)} KB${later.length ? ` (then ${later.length} files of the Python lab)` : ''}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
