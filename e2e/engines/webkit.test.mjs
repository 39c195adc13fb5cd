// WebKitGTK (Debian's webkit2gtk-driver and MiniBrowser, under xvfb-run) through classic
// WebDriver, twice: with JSC_useSharedArrayBuffer=1, and without it, as WebKitGTK ships,
// where an isolated page still has no SharedArrayBuffer. It has no JSPI either way. Every
// lab, the Python lab's asyncio, process-pool and threads presets, and a hostile link run
// to their ends, on the fallbacks those gaps call for.
import test from 'node:test';
import { startServer, APP_ROOT, assertBuilt } from '../lib.mjs';
import { startWebKit, webkitAvailable } from '../webdriver.mjs';
import { runEngineSuite } from './suite.mjs';

const skip = !webkitAvailable() && 'WebKitWebDriver, MiniBrowser or xvfb-run is not installed (scripts/setup.sh)';

for (const sharedArrayBuffer of [true, false]) {
  const engine = sharedArrayBuffer ? 'webkit-sab' : 'webkit';
  test(`WebKitGTK ${sharedArrayBuffer ? 'with' : 'without'} JSC_useSharedArrayBuffer: every lab, the Python presets, a hostile link`, { timeout: 900_000, skip }, async () => {
    assertBuilt(APP_ROOT);
    const server = await startServer({ root: APP_ROOT, isolated: true });
    const webkit = await startWebKit({ sharedArrayBuffer });
    try {
      await runEngineSuite(webkit, {
        site: `${server.url}/`,
        engine,
        expect: { isolated: true, sharedArrayBuffer, jspi: false },
      });
    } finally {
      await webkit.close();
      await server.close();
    }
  });
}
