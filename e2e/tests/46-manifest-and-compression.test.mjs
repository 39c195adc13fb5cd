// The app is installable (a web manifest with its icon), and a release build carries
// brotli and gzip copies of its files, which the test server serves as a host would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';

test('the manifest and its icon load; the wasm comes precompressed', { timeout: 60_000 }, async () => {
  await withApp('/', async (app) => {
    const { page, context } = app;
    const wasm = [];
    context.on('response', (r) => {
      if (r.url().endsWith('_bg.wasm')) wasm.push(r);
    });
    await app.goto('/cpu');
    await page.locator(testId('run')).waitFor();
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = await page.evaluate(async (h) => (await fetch(h)).json(), href);
    assert.equal(manifest.name, 'Concurrency Playground');
    // Relative to the manifest, so a site served from a subpath starts and installs there.
    assert.equal(manifest.start_url, './');
    assert.equal(manifest.scope, './');
    assert.equal(manifest.display, 'standalone');
    for (const icon of manifest.icons) {
      const type = await page.evaluate(async ([src, manifestHref]) => {
        const r = await fetch(new URL(src, new URL(manifestHref, document.baseURI)));
        return r.ok ? r.headers.get('content-type') : `HTTP ${r.status}`;
      }, [icon.src, href]);
      assert.equal(type, icon.type, `icon ${icon.src}`);
    }
    // What reached the server: the page's own fetch (before the service worker controls
    // it) and the worker's install; answers the worker gave from its cache do not count.
    const network = wasm.filter((r) => !r.fromServiceWorker());
    assert.ok(network.length >= 1, 'the app wasm never reached the server');
    for (const r of network) {
      const encoding = (await r.allHeaders())['content-encoding'];
      assert.equal(encoding, 'br', `the wasm came as ${encoding ?? 'identity'}: is this a release build?`);
    }
  });
});
