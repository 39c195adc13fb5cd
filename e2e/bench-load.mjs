// The load benchmark, against a release build in ../dist served with its precompressed
// files and cache headers as a static host would send them:
//   - per route, the bytes the first visit downloads: as transferred (brotli), and the same
//     files raw, gzip -9 and brotli -11 (from the .gz/.br the build wrote);
//   - time to a usable page (the lab's Run button, or the home page's navigation), cold
//     (empty cache) and warm (second visit), on loopback and under Chromium's network
//     throttling at DevTools' "Fast 4G" profile (165 ms latency, 8.1 Mbit/s down,
//     1.35 Mbit/s up), median of 3.
// Figures only; the budget line says how far the first load is from 250 KB. Last line:
// BENCH_LOAD_JSON {...}
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, APP_ROOT, median } from './lib.mjs';

const ROUTES = [
  ['/', '[data-testid="nav-cpu"]'],
  ['/race', '[data-testid="run"], [data-testid="race-run"], button.primary'],
  ['/threads', 'button.primary'],
  ['/cpu', '[data-testid="run"]'],
  ['/async', '[data-testid="run"]'],
  ['/python', '[data-testid="py-run"]'],
];
const FAST_4G = { offline: false, latency: 165, downloadThroughput: (9e6 * 0.9) / 8, uploadThroughput: (1.5e6 * 0.9) / 8 };
const BUDGET = 250 * 1024;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

function fileSizes(urlPath) {
  const file = path.join(APP_ROOT, urlPath === '/' || !path.extname(urlPath) ? 'index.html' : urlPath);
  const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : null);
  const raw = size(file);
  return raw === null ? null : { raw, gzip: size(`${file}.gz`) ?? raw, brotli: size(`${file}.br`) ?? raw };
}

async function visit(context, url, ready, throttle) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (throttle) await cdp.send('Network.emulateNetworkConditions', throttle);
  const urls = new Map();
  let transferred = 0;
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    transferred += e.encodedDataLength;
  });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.locator(ready).first().waitFor({ state: 'visible', timeout: 120_000 });
  const ms = Date.now() - t0;
  await page.waitForLoadState('networkidle');
  await page.close();
  return { ms, transferred, urls: [...new Set(urls.values())] };
}

const server = await startServer({ root: APP_ROOT, isolated: true, caching: true });
const browser = await launch();
const out = { budget: BUDGET, routes: [] };
try {
  console.log('load: first visit per route (as transferred; the same files raw, gzip, brotli)');
  for (const [route, ready] of ROUTES) {
    const row = { route, cold: {}, warm: {} };
    for (const [name, throttle] of [['loopback', null], ['fast4g', FAST_4G]]) {
      const cold = [], warm = [];
      for (let i = 0; i < 3; i++) {
        const context = await browser.newContext();
        const first = await visit(context, `${server.url}${route}`, ready, throttle);
        const second = await visit(context, `${server.url}${route}`, ready, throttle);
        cold.push(first.ms);
        warm.push(second.ms);
        if (name === 'loopback' && i === 0) {
          row.transferred = first.transferred;
          row.warmTransferred = second.transferred;
          const sizes = first.urls.map((u) => fileSizes(new URL(u).pathname)).filter(Boolean);
          row.raw = sizes.reduce((s, f) => s + f.raw, 0);
          row.gzip = sizes.reduce((s, f) => s + f.gzip, 0);
          row.brotli = sizes.reduce((s, f) => s + f.brotli, 0);
          row.files = first.urls.length;
        }
        await context.close();
      }
      row.cold[name] = median(cold);
      row.warm[name] = median(warm);
    }
    out.routes.push(row);
    console.log(
      `  ${route.padEnd(9)} ${String(row.files).padStart(2)} files, ${kb(row.transferred).padStart(7)} transferred ` +
        `(raw ${kb(row.raw)}, gzip ${kb(row.gzip)}, brotli ${kb(row.brotli)}); second visit ${kb(row.warmTransferred)}`,
    );
    console.log(
      `            usable: loopback ${row.cold.loopback} ms cold, ${row.warm.loopback} ms warm; ` +
        `fast 4G ${row.cold.fast4g} ms cold, ${row.warm.fast4g} ms warm`,
    );
  }
  const home = out.routes[0];
  console.log(`  budget: the home page's first load is ${kb(home.brotli)} with brotli, ${(home.brotli / BUDGET).toFixed(2)}x the ${kb(BUDGET)} budget`);
  console.log('  (/python is usable before CPython has loaded: its Run waits for the interpreter; see bench-python.mjs)');
} finally {
  await browser.close();
  await server.close();
}
console.log(`BENCH_LOAD_JSON ${JSON.stringify(out)}`);
