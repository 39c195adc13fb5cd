// Browser benchmark of the async lab: how close the event loop gets to the ideal wall
// time of sequential awaits, gather and a semaphore of 5, and whether 10,000 simulated
// concurrent requests keep the page responsive. Figures only: nothing here asserts timing.
//
// Expects a RELEASE build of the app in ../dist (or $E2E_DIST); serves it cross-origin
// isolated, like production.
//
//   node bench-async.mjs
//
// Human-readable lines on stdout, progress on stderr, and as the last stdout line:
//   BENCH_ASYNC_JSON {...}

import {
  startServer,
  launch,
  watchPage,
  waitForStatus,
  assertNoPageErrors,
  describeDiagnostics,
  median,
  assertBuilt,
  APP_ROOT,
} from './lib.mjs';

const RUNS = 3;
const BASE = 'net=sim&n=15&lat=200&jitter=0&seed=1';
const STRATEGIES = [
  { name: 'sequential', query: 'mode=seq&k=0', idealMs: 3000 },
  { name: 'gather', query: 'mode=gather&k=0', idealMs: 200 },
  { name: 'semaphore of 5', query: 'mode=gather&k=5', idealMs: 600 },
];
const MANY = { n: 10_000, query: 'net=sim&n=10000&lat=200&jitter=50&seed=1&mode=gather&k=0' };
const RESPONSIVE_MS = 100;

/** Within 5% + 20 ms of the ideal wall time. */
const nearIdeal = (ms, ideal) => Math.abs(ms - ideal) <= ideal * 0.05 + 20;

// Runs in the page before the app: records the longest gap between two animation frames.
function frameGapProbe() {
  window.__maxGap = 0;
  window.__longGaps = [];
  window.__since = performance.now();
  let last = null;
  const tick = (now) => {
    if (last !== null) {
      const gap = now - last;
      if (gap > window.__maxGap) window.__maxGap = gap;
      // [start of the gap relative to the reset, length]
      if (gap > 50) window.__longGaps.push([last - window.__since, gap]);
    }
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__resetGaps = () => {
    window.__maxGap = 0;
    window.__longGaps = [];
    window.__since = performance.now();
    last = null;
  };
}

const fmt = (v) => (typeof v === 'number' ? v.toFixed(1) : 'n/a');
const round = (v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : null);

async function main() {
  assertBuilt(APP_ROOT);
  const server = await startServer({ root: APP_ROOT, isolated: true });
  let browser = null;
  const figures = { strategies: [], many: null, runs: RUNS };
  try {
    browser = await launch();
    figures.chromium = browser.version();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const diag = watchPage(page);
    await page.addInitScript(frameGapProbe);

    console.log(`Async lab, 15 simulated requests of 200 ms (median of ${RUNS} runs), Chromium ${browser.version()}`);
    for (const s of STRATEGIES) {
      const samples = [];
      let json = null;
      for (let i = 0; i < RUNS; i++) {
        await page.goto(`${server.url}/async?${BASE}&${s.query}&run=1`, { waitUntil: 'load' });
        json = await waitForStatus(page, ['done'], 60_000);
        if (json.done !== 15) throw new Error(`${s.name}: ${json.done} of 15 requests done: ${JSON.stringify(json).slice(0, 500)}`);
        samples.push(json.wallMs);
        console.error(`bench-async: ${s.name} run ${i + 1}/${RUNS}: ${fmt(json.wallMs)} ms`);
      }
      const wallMs = median(samples);
      const row = {
        strategy: s.name,
        query: s.query,
        wall_ms: round(wallMs),
        ideal_ms: s.idealMs,
        over_ideal_ms: round(wallMs - s.idealMs),
        within_5pct_plus_20ms: nearIdeal(wallMs, s.idealMs),
        runs_ms: samples.map(round),
        max_in_flight: json.maxInFlight,
        sum_of_latencies_ms: round(json.sumOfLatenciesMs),
      };
      figures.strategies.push(row);
      console.log(
        `  ${s.name.padEnd(15)} ${fmt(wallMs).padStart(8)} ms   ideal ${String(s.idealMs).padStart(5)} ms   ` +
          `${row.within_5pct_plus_20ms ? 'within' : 'NOT within'} 5% + 20 ms   (max in flight ${json.maxInFlight})`,
      );
    }

    // 10,000 requests at once: the page must keep painting while they are set up and finish.
    await page.goto(`${server.url}/async?${MANY.query}`, { waitUntil: 'load' });
    await page.waitForSelector('main[data-pool="ready"]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid="run"]:not([disabled])', { timeout: 10_000 });
    await page.evaluate(() => window.__resetGaps());
    const clickedAt = Date.now();
    await page.click('[data-testid="run"]');
    const json = await waitForStatus(page, ['done'], 120_000, { pollMs: 50 });
    const observedMs = Date.now() - clickedAt;
    const { maxGap, longGaps } = await page.evaluate(() => ({ maxGap: window.__maxGap, longGaps: window.__longGaps }));
    figures.many = {
      requests: MANY.n,
      query: MANY.query,
      wall_ms: round(json.wallMs),
      done: json.done,
      failed: json.failed,
      cancelled: json.cancelled,
      max_in_flight: json.maxInFlight,
      max_frame_gap_ms: round(maxGap),
      frame_gaps_over_50ms: longGaps.map(([at, gap]) => ({ at_ms: round(at), gap_ms: round(gap) })),
      responsive_target_ms: RESPONSIVE_MS,
      responsive: maxGap <= RESPONSIVE_MS,
      click_to_done_seen_ms: observedMs,
    };
    console.log(`10,000 simulated requests, 200 ± 50 ms, gather without a semaphore`);
    console.log(`  wall time         ${fmt(json.wallMs)} ms (ideal about 250 ms: the slowest request)`);
    console.log(`  done              ${json.done} of ${MANY.n} (max in flight ${json.maxInFlight})`);
    const gapList = longGaps.map(([at, gap]) => `${fmt(gap)} ms at +${fmt(at)} ms`).join(', ');
    console.log(
      `  largest frame gap ${fmt(maxGap)} ms; gaps over 50 ms: ${gapList || 'none'}; ` +
        `(target: never more than ${RESPONSIVE_MS} ms; ${maxGap <= RESPONSIVE_MS ? 'met' : 'NOT met'})`,
    );

    assertNoPageErrors(page);
    if (diag.consoleErrors.length) console.error(`bench-async: console errors seen:\n${describeDiagnostics(diag)}`);
  } catch (err) {
    console.error(`bench-async: FAILED: ${err.message}`);
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.close();
  }
  console.log(`BENCH_ASYNC_JSON ${JSON.stringify(figures)}`);
}

await main();
