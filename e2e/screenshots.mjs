// Screenshots of the built app for review: home and every lab (after a short
// run), desktop 1280x800 and phone 390x844, light and dark colour schemes.
// Writes <repo>/screenshots/{home,cpu}-{desktop,phone}-{light,dark}.png
// (the directory is git-ignored).
//
//   node screenshots.mjs [--root DIR] [--out DIR]

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer,
  launch,
  watchPage,
  waitForStatus,
  describeDiagnostics,
  assertBuilt,
  testId,
  sleep,
  PANIC_PATTERN,
  APP_ROOT,
} from './lib.mjs';
import { waitForPosition } from './tests/race-helpers.mjs';
import { encodeCode } from './tests/python-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Each page in a state worth looking at: its name, its link, and what to wait for. */
const SHOTS = [
  { name: 'home', path: '/', ready: (page) => page.locator(testId('nav-cpu')).waitFor({ state: 'visible', timeout: 30_000 }) },
  { name: 'cpu', path: '/cpu?iters=200000&run=1', ready: (page) => waitForStatus(page, ['done'], 120_000) },
  // Two withdrawals stepped by hand to the moment the second overwrites the first.
  { name: 'race-step', path: '/race?preset=bank&sched=manual&steps=0101&at=4', ready: (page) => waitForPosition(page, 4, 30_000) },
  { name: 'race-exhaustive', path: '/race?preset=bank&mode=exhaustive&run=1', ready: (page) => waitForStatus(page, ['done'], 60_000) },
  { name: 'async-requests', path: '/async?net=sim&n=15&mode=gather&k=5&fail=10&run=1', ready: (page) => waitForStatus(page, ['done'], 60_000) },
  { name: 'async-pipeline', path: '/async?exp=pipeline&run=1', ready: (page) => waitForStatus(page, ['done'], 60_000) },
  { name: 'threads-convoy', path: '/threads?preset=convoy&run=1', ready: (page) => waitForStatus(page, ['done'], 60_000) },
  { name: 'threads-cpu', path: '/threads?preset=cpu-threads&run=1', ready: (page) => waitForStatus(page, ['done'], 60_000) },
  { name: 'python-blocking', path: '/python?preset=blocking-call&run=1', ready: (page) => waitForStatus(page, ['done'], 120_000) },
  { name: 'python-semaphore', path: '/python?preset=semaphore-2&run=1', ready: (page) => waitForStatus(page, ['done'], 120_000) },
  // A program with an error: the traceback, the marked line and the threads hint.
  { name: 'python-error', path: `/python?code=${encodeCode('import threading\n\nthreading.Thread(target=print).start()\n')}&run=1`, ready: (page) => waitForStatus(page, ['error'], 120_000) },
];

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const SCHEMES = ['light', 'dark'];

function parseArgs(argv) {
  const opts = { root: APP_ROOT, out: path.resolve(HERE, '..', 'screenshots') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--root' || arg === '--out') && i + 1 < argv.length) opts[arg.slice(2)] = path.resolve(argv[++i]);
    else throw new Error(`unknown or incomplete argument ${arg}`);
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    assertBuilt(opts.root);
  } catch (err) {
    console.error(`screenshots.mjs: ${err.message}`);
    process.exit(2);
  }
  fs.mkdirSync(opts.out, { recursive: true });

  const server = await startServer({ root: opts.root, isolated: true });
  let browser = null;
  const failures = [];
  const written = [];
  try {
    browser = await launch();
    for (const [device, settings] of Object.entries(VIEWPORTS)) {
      for (const colorScheme of SCHEMES) {
        const context = await browser.newContext({ ...settings, colorScheme, deviceScaleFactor: 1 });
        try {
          const page = await context.newPage();
          const diag = watchPage(page);
          await page.emulateMedia({ colorScheme });

          const shoot = async (name) => {
            await sleep(300); // let transitions and fonts settle
            const file = path.join(opts.out, `${name}-${device}-${colorScheme}.png`);
            await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
            written.push(file);
          };

          for (const shot of SHOTS) {
            try {
              await page.goto(`${server.url}${shot.path}`, { waitUntil: 'load' });
              await shot.ready(page);
              await page.evaluate(() => window.scrollTo(0, 0));
              await shoot(shot.name);
            } catch (err) {
              failures.push(`${shot.name} ${device} ${colorScheme}: ${err.message}`);
            }
          }

          const bad = diag.pageErrors.length || diag.consoleErrors.some((e) => PANIC_PATTERN.test(e.text));
          if (bad) failures.push(`${device} ${colorScheme}: page errors:\n${describeDiagnostics(diag)}`);
        } finally {
          await context.close();
        }
      }
    }
  } catch (err) {
    failures.push(err.message);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.close();
  }
  for (const file of written) console.log(file);
  if (failures.length) {
    console.error(`screenshots.mjs: ${failures.length} problem(s):\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

await main();
