// Time to a usable page per engine: Chromium and Firefox ESR (Playwright) and WebKitGTK
// (WebDriver, with JSC_useSharedArrayBuffer=1), against the release build in ../dist on
// loopback, served with its precompressed files and cache headers as a static host would.
// Per route: the bytes of the first visit (brotli, from the build's .br files: the page,
// its stylesheet, its bundle's JS and wasm), and the time from navigation to the page being
// drawn (the loader's `playground-drawn` mark), cold (a new browser profile) and warm (the
// same page again), median of 3. Figures only. Last line: BENCH_ENGINES_JSON {...}
import fs from 'node:fs';
import path from 'node:path';
import { firefox } from 'playwright-core';
import { startServer, launch, APP_ROOT, median } from './lib.mjs';
import { startWebKit, webkitAvailable } from './webdriver.mjs';

const ROUTES = ['', 'race', 'threads', 'cpu', 'async', 'python'];
const RUNS = 3;
const FIREFOX_PATH = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

const drawnAt = () => performance.getEntriesByName('playground-drawn')[0]?.startTime ?? null;

/** The first visit's files, as the build wrote them, with their brotli sizes. */
function firstVisitBytes(route) {
  const html = fs.readFileSync(path.join(APP_ROOT, 'index.html'), 'utf8');
  const bundles = JSON.parse(/const bundles = (\{.*\});/.exec(html)[1]);
  const bundle = bundles[route];
  const css = /href="(style-[^"]+\.css)"/.exec(html)?.[1];
  const files = ['index.html', css, bundle.js, bundle.wasm].filter(Boolean);
  const size = (f) => {
    const file = path.join(APP_ROOT, f);
    return fs.existsSync(`${file}.br`) ? fs.statSync(`${file}.br`).size : fs.statSync(file).size;
  };
  return files.reduce((sum, f) => sum + size(f), 0);
}

async function waitDrawn(evalFn) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const t = await evalFn(drawnAt).catch(() => null);
    if (t !== null) return t;
    if (Date.now() > deadline) throw new Error('the page was not drawn within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const engines = [
  {
    name: 'Chromium',
    available: () => true,
    open: async () => {
      const browser = await launch();
      const page = await (await browser.newContext()).newPage();
      return { goto: (u) => page.goto(u), eval: (fn) => page.evaluate(fn), close: () => browser.close() };
    },
  },
  {
    name: 'Firefox',
    available: () => fs.existsSync(FIREFOX_PATH),
    open: async () => {
      const browser = await firefox.launch({ channel: 'moz-firefox', executablePath: FIREFOX_PATH, headless: true });
      const page = await browser.newPage();
      return { goto: (u) => page.goto(u), eval: (fn) => page.evaluate(fn), close: () => browser.close() };
    },
  },
  {
    name: 'WebKitGTK',
    available: webkitAvailable,
    open: async () => {
      const webkit = await startWebKit({ sharedArrayBuffer: true });
      return { goto: (u) => webkit.goto(u), eval: (fn) => webkit.eval(fn), close: () => webkit.close() };
    },
  },
];

const server = await startServer({ root: APP_ROOT, isolated: true, caching: true });
const out = { routes: ROUTES.map((r) => ({ route: `/${r}`, brotliBytes: firstVisitBytes(r) })), engines: [] };
try {
  for (const engine of engines) {
    if (!engine.available()) {
      console.log(`${engine.name}: not installed, skipped`);
      continue;
    }
    const row = { engine: engine.name, routes: [] };
    for (const route of ROUTES) {
      const cold = [];
      const warm = [];
      for (let i = 0; i < RUNS; i++) {
        const browser = await engine.open();
        try {
          const url = `${server.url}/${route}`;
          await browser.goto(url);
          cold.push(await waitDrawn(browser.eval));
          await browser.goto(`${url}?again=${i}`);
          warm.push(await waitDrawn(browser.eval));
        } finally {
          await browser.close();
        }
      }
      row.routes.push({ route: `/${route}`, coldMs: Math.round(median(cold)), warmMs: Math.round(median(warm)) });
    }
    out.engines.push(row);
  }
} finally {
  await server.close();
}

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log('engines: time to a drawn page on loopback (navigation to the loader\'s mark), median of 3, cold / warm');
const header = ['route', 'first visit (brotli)', ...out.engines.map((e) => e.engine)];
console.log(`  ${header.map((h, i) => h.padEnd(i === 0 ? 10 : 22)).join('')}`);
for (const [i, r] of out.routes.entries()) {
  const cells = out.engines.map((e) => `${e.routes[i].coldMs} / ${e.routes[i].warmMs} ms`);
  console.log(`  ${r.route.padEnd(10)}${kb(r.brotliBytes).padEnd(22)}${cells.map((c) => c.padEnd(22)).join('')}`);
}
console.log(`BENCH_ENGINES_JSON ${JSON.stringify(out)}`);
