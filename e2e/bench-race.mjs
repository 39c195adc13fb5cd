// Browser half of the race-lab benchmark: exhaustive counting of the bank scenario with
// 2..8 threads in headless Chromium, as the page does it (on a worker when isolated).
// Figures only. Expects a release build in ../dist. Last line: BENCH_RACE_JSON [...]
import { startServer, launch, APP_ROOT } from './lib.mjs';

const bank = (n) => `# Four threads each withdraw 50 from one account.
shared balance = 1000

thread withdraw * ${n}:
    local = balance          # read the balance
    time.sleep(0.001)        # sleeping lets the other threads run
    balance = local - 50     # write back what it computed
`;

const server = await startServer({ root: APP_ROOT, isolated: true });
const browser = await launch();
const rows = [];
try {
  const page = await browser.newPage();
  console.log('browser, race lab: exhaustive count of the bank scenario (median of 3)');
  for (let n = 2; n <= 8; n++) {
    const times = [];
    let json;
    for (let i = 0; i < 3; i++) {
      await page.goto(`${server.url}/race?src=${encodeURIComponent(bank(n))}&mode=exhaustive&run=1`);
      await page.waitForFunction(() => {
        const j = JSON.parse((document.querySelector('[data-testid="results-json"]')?.textContent ?? '{}'));
        return j.exhaustive || j.status === 'error';
      }, null, { timeout: 120_000, polling: 50 });
      json = JSON.parse(await page.textContent('[data-testid="results-json"]'));
      if (!json.exhaustive) throw new Error(`n=${n}: ${json.error}`);
      times.push(json.exhaustive.ms);
    }
    times.sort((a, b) => a - b);
    const row = { threads: n, total: json.exhaustive.total, states: json.exhaustive.states, ms: times[1] };
    rows.push(row);
    console.log(`  ${n} threads: ${row.total.padStart(14)} interleavings, ${String(row.states).padStart(6)} states, ${row.ms.toFixed(2).padStart(8)} ms`);
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`BENCH_RACE_JSON ${JSON.stringify(rows)}`);
