// Page helpers for the CPU-lab UI tests (not a test file: node --test only runs
// *.test.mjs here). Assertions about a finished run's JSON live in support.mjs.

import {
  testId,
  waitFor,
  sleep,
  diagnostics,
  describeDiagnostics,
  panicMessages,
  RESULTS_SELECTOR,
  TERMINAL_STATUSES,
} from '../lib.mjs';

/** Wait until `main[data-pool]` reaches one of `states` (default: the worker pool is up). */
export async function waitForPool(page, states = ['ready'], timeout = 30_000) {
  const wanted = Array.isArray(states) ? states : [states];
  const main = page.locator('main[data-pool]');
  return waitFor(
    async () => {
      const state = await main.getAttribute('data-pool', { timeout: 1_000 });
      return wanted.includes(state) ? state : null;
    },
    { timeout, message: `main[data-pool] to be ${wanted.join('|')}` },
  );
}

const rawResults = (page) =>
  page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, RESULTS_SELECTOR);

/**
 * Click the button `buttonId` (run or sweep) and wait for the run it starts to
 * end with status "done". Unlike waitForStatus this ignores the "done" left
 * over from an earlier run: it waits for the results JSON to change first.
 * Fails early when the new run ends cancelled/errored or the page panics.
 */
export async function clickAndWaitForDone(page, buttonId = 'run', { timeout = 60_000, pollMs = 100 } = {}) {
  const before = await rawResults(page);
  const button = page.locator(testId(buttonId));
  await waitFor(() => button.isEnabled(), { timeout: 10_000, message: `the ${buttonId} button to be enabled` });
  await button.click();
  const diag = diagnostics(page);
  const deadline = Date.now() + timeout;
  let last = before;
  const fail = (why) =>
    new Error(`${why} after clicking "${buttonId}"\nresults: ${String(last).slice(0, 2000)}\n${describeDiagnostics(diag)}`);
  for (;;) {
    if (diag.crashed || diag.pageErrors.length || panicMessages(diag).length) throw fail('the page failed');
    last = await rawResults(page);
    if (last !== null && last !== before) {
      let json = null;
      try {
        json = JSON.parse(last);
      } catch {
        // A half-rendered document: look again.
      }
      if (json?.status === 'done') return json;
      if (json && TERMINAL_STATUSES.includes(json.status)) throw fail(`the run ended with status "${json.status}"`);
    }
    if (Date.now() >= deadline) throw fail(`timed out after ${timeout} ms waiting for status done`);
    await sleep(pollMs);
  }
}

/** The page's current query parameters (the app keeps its config in the address bar). */
export const queryOf = (page) => new URL(page.url()).searchParams;

/**
 * Reference implementation of one task, with CPython's semantics:
 *   result = math.prod(range(start, end + 1))
 *   for _ in range(iterations): result = (result % 1000000007) * 2
 */
export function pythonTask(start, end, iterations) {
  const P = 1_000_000_007n;
  let result = 1n;
  for (let n = BigInt(start); n <= BigInt(end); n += 1n) result *= n;
  for (let i = 0; i < iterations; i += 1) result = (result % P) * 2n;
  return result.toString();
}
