// Chromium (Debian's) through the same suite as the other engines, so that the README's
// support table has one source; the e2e tests in ../tests go much further in Chromium.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, APP_ROOT, assertBuilt } from '../lib.mjs';
import { runEngineSuite, playwrightDriver } from './suite.mjs';

test('Chromium: every lab, the Python presets and a hostile link', { timeout: 600_000 }, async () => {
  assertBuilt(APP_ROOT);
  const server = await startServer({ root: APP_ROOT, isolated: true });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const record = await runEngineSuite(playwrightDriver(page, `Chromium ${browser.version()}`), {
      site: `${server.url}/`,
      engine: 'chromium',
      expect: { isolated: true, sharedArrayBuffer: true, jspi: true },
    });
    assert.equal(record.cpuWorkers, 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
