// Browser half of the threads-lab benchmark, in headless Chromium as the page does it:
//   1. the simulator's speed: 32 threads for 60 simulated seconds at a 5 ms interval (and
//      2 and 32 threads for comparison), events per second, median of 3;
//   2. the real GIL-style lock on the page's Web Workers: wall time on one worker, and on
//      every worker with and without the lock.
// Figures only. Expects a release build in ../dist. Last line: BENCH_THREADS_BROWSER_JSON {...}
import { startServer, launch, APP_ROOT } from './lib.mjs';

const workload = (threads, seconds) => `thread Thread * ${threads}:\n    compute(${(seconds * 1000) / threads})\n`;
const results = (page) => page.textContent('[data-testid="results-json"]').then((t) => JSON.parse(t));

const server = await startServer({ root: APP_ROOT, isolated: true });
const browser = await launch();
const out = { simulator: [], real: [] };
try {
  const page = await browser.newPage();
  console.log('browser, threads lab: simulating CPython threads under the GIL (median of 3)');
  for (const [threads, seconds] of [[2, 60], [32, 60], [32, 600]]) {
    const times = [];
    let json;
    for (let i = 0; i < 3; i++) {
      await page.goto(`${server.url}/threads?preset=cpu-threads&src=${encodeURIComponent(workload(threads, seconds))}&cores=2&run=1`);
      await page.waitForFunction(() => {
        const j = JSON.parse((document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}'));
        return j.status === 'done' || j.status === 'error';
      }, null, { timeout: 120_000, polling: 50 });
      json = await results(page);
      if (json.status !== 'done') throw new Error(`${threads} threads: ${json.error}`);
      // The batch also runs the same tasks sequentially; that costs a handful of events.
      times.push(json.simulatedInMs);
    }
    times.sort((a, b) => a - b);
    const row = { threads, seconds, events: json.events, ms: times[1] };
    out.simulator.push(row);
    console.log(`  ${String(threads).padStart(2)} threads, ${String(seconds).padStart(3)} s simulated: ${String(row.events).padStart(9)} events, ${row.ms.toFixed(1).padStart(8)} ms for the run and its sequential baseline, ${(row.events / row.ms / 1000).toFixed(2)} M events/s`);
  }

  await page.goto(`${server.url}/threads?preset=cpu-threads`);
  await page.waitForSelector('[data-testid="threads-real-lock"]:not([disabled])', { timeout: 60_000 });
  console.log('\nbrowser, threads lab: real Web Workers x 300 slices of about 2 ms, 5 ms interval');
  for (const button of ['threads-real-one', 'threads-real-lock', 'threads-real-nolock']) {
    const before = (await results(page)).real.length;
    await page.click(`[data-testid="${button}"]`);
    await page.waitForFunction((n) => JSON.parse((document.querySelector('[data-testid="results-json"]')?.textContent ?? '{"real":[]}')).real.length > n, before, { timeout: 120_000, polling: 50 });
    const r = (await results(page)).real.at(-1);
    out.real.push(r);
  }
  const one = out.real[0].wallMs;
  for (const r of out.real) {
    console.log(`  ${r.k} worker(s) ${r.lock ? 'with   ' : 'without'} the lock: ${r.wallMs.toFixed(1).padStart(8)} ms (${(r.wallMs / one).toFixed(2)}x one worker), ${r.switches} switches, ${r.dropRequests} drop requests, ${r.violations} violations`);
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`BENCH_THREADS_BROWSER_JSON ${JSON.stringify(out)}`);
