// Page helpers for the race-lab tests (not a test file: node --test only runs
// *.test.mjs here).

import assert from 'node:assert/strict';
import {
  testId,
  waitFor,
  sleep,
  diagnostics,
  describeDiagnostics,
  panicMessages,
  RESULTS_SELECTOR,
} from '../lib.mjs';

/** The bank preset's outcomes over all 2520 interleavings (4 threads, read then write). */
export const BANK_COUNTS = Object.freeze({
  'balance = 950': '1152',
  'balance = 900': '1056',
  'balance = 850': '288',
  'balance = 800': '24',
});

export const BANK_TOTAL = '2520';

/** Selector of one histogram bar; `kind` is "exhaustive" or "runs". */
export const barSelector = (kind, outcome) =>
  outcome === undefined
    ? `li[data-testid="${kind}-bar"]`
    : `li[data-testid="${kind}-bar"][data-outcome="${outcome}"]`;

export const STEP_CELLS = `${testId('race-timeline')} g.step-cell`;
export const LOST_CELLS = `${testId('race-timeline')} g.step-cell.lost`;

/**
 * Poll the race lab's results JSON until `predicate(json)` is truthy; returns
 * the JSON. Fails early when the lab reports status "error" or the page fails
 * (uncaught error, panic, crash), so a broken run does not sit out the timeout.
 */
export async function waitForRace(page, predicate, { timeout = 30_000, message = 'the race results', pollMs = 100 } = {}) {
  const diag = diagnostics(page);
  const deadline = Date.now() + timeout;
  let lastText = null;
  const fail = (why) =>
    new Error(`${why} while waiting for ${message}\nresults: ${String(lastText).slice(0, 3000)}\n${describeDiagnostics(diag)}`);
  for (;;) {
    if (diag.crashed || diag.pageErrors.length || panicMessages(diag).length) throw fail('the page failed');
    lastText = await page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, RESULTS_SELECTOR);
    let json = null;
    if (lastText !== null) {
      try {
        json = JSON.parse(lastText);
      } catch {
        // Half-rendered: look again.
      }
    }
    if (json) {
      if (predicate(json)) return json;
      if (json.status === 'error') throw fail(`the lab reported an error (${json.error})`);
    }
    if (Date.now() >= deadline) throw fail(`timed out after ${timeout} ms`);
    await sleep(pollMs);
  }
}

/** Wait for a finished exhaustive count; returns the results JSON. */
export const waitForExhaustive = (page, timeout = 60_000) =>
  waitForRace(page, (j) => j.status === 'done' && j.exhaustive !== null, {
    timeout,
    message: 'status done with an exhaustive count',
  });

/** Wait for finished repeated runs; returns the results JSON. */
export const waitForRuns = (page, timeout = 60_000) =>
  waitForRace(page, (j) => j.status === 'done' && j.runs !== null, {
    timeout,
    message: 'status done with repeated runs',
  });

/** { label: count string } of an exhaustive or runs section of the results JSON. */
export function countsByOutcome(section) {
  assert.ok(section && Array.isArray(section.outcomes), `no outcomes in ${JSON.stringify(section)}`);
  const out = {};
  for (const o of section.outcomes) {
    assert.equal(typeof o.count, 'string', `count should be a string: ${JSON.stringify(o)}`);
    assert.ok(!(o.outcome in out), `outcome listed twice: ${JSON.stringify(section)}`);
    out[o.outcome] = o.count;
  }
  return out;
}

/** Sum of the (string) counts of a section, as a BigInt. */
export const sumOfCounts = (section) => section.outcomes.reduce((acc, o) => acc + BigInt(o.count), 0n);

/** The histogram bars of `kind` as { label: data-count }. */
export async function barCounts(page, kind) {
  const rows = await page
    .locator(barSelector(kind))
    .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-outcome'), li.getAttribute('data-count')]));
  return Object.fromEntries(rows);
}

/** The stepper position as { at, total } from "step A of B" (total is a string: B may be "?"). */
export async function position(page) {
  const text = (await page.locator(testId('race-position')).innerText({ timeout: 10_000 })).trim();
  // "step A of B", or "step A, your move" while a manual schedule is still being chosen.
  const m = /^step (\d+)(?: of (\S+)|, your move)$/.exec(text);
  assert.ok(m, `race-position does not read "step A of B" or "step A, your move": ${JSON.stringify(text)}`);
  return { at: Number(m[1]), total: m[2] ?? null, text };
}

/** Wait until the stepper shows step `at`. */
export async function waitForPosition(page, at, timeout = 5_000) {
  let last = null;
  try {
    return await waitFor(
      async () => {
        last = await position(page);
        return last.at === at ? last : null;
      },
      { timeout, message: `race-position to show step ${at}` },
    );
  } catch (err) {
    err.message += ` (last: ${JSON.stringify(last?.text)})`;
    throw err;
  }
}

/** Wait until the lab has rendered its stepper (the wasm app is up on /race). */
export async function waitForRaceLab(page, timeout = 30_000) {
  await page.locator(testId('race-position')).waitFor({ state: 'visible', timeout });
}
