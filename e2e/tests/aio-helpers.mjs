// Page helpers and assertions for the async-lab tests (not a test file: node --test
// only runs *.test.mjs here).

import assert from 'node:assert/strict';
import { testId, waitFor, waitForStatus, isFiniteNumber, RESULTS_SELECTOR } from '../lib.mjs';

/** The AniList ids the lab uses for n <= 15, in request order. */
export const CLASSIC_IDS = Object.freeze([100, 200, 300, 400, 700, 628, 524, 377, 826, 451, 280, 395, 399, 124, 626]);

/** Phases a request can end in; anything else after a run means it was left hanging. */
export const FINAL_PHASES = Object.freeze(['done', 'failed', 'cancelled', 'timed-out']);

/** Wait until the async lab has rendered its form (the wasm app is up on /async). */
export async function waitForAioLab(page, timeout = 30_000) {
  await page.locator(testId('run')).waitFor({ state: 'visible', timeout });
}

/** Navigate to `link` (an /async path with run=1) and wait for the run to end "done". */
export async function runLink(app, link, timeout = 60_000) {
  await app.goto(link);
  return waitForStatus(app.page, ['done'], timeout);
}

/** Requests of a finished run's JSON sorted by index. */
export function requestsInOrder(json) {
  assert.ok(Array.isArray(json.requests), `results JSON has no requests array: ${JSON.stringify(json)}`);
  return [...json.requests].sort((a, b) => a.index - b.index);
}

/** Event texts of request `index`, in the order they were logged. */
export function eventTexts(json, index) {
  assert.ok(Array.isArray(json.events), `results JSON has no events array: ${JSON.stringify(json)}`);
  return json.events.filter((e) => e.index === index).map((e) => e.text);
}

/** The first event of request `index` whose text is `text` (or matches it), or undefined. */
export function findEvent(json, index, text) {
  const hit = (e) => (text instanceof RegExp ? text.test(e.text) : e.text === text);
  return json.events.find((e) => e.index === index && hit(e));
}

/** Position of an event in the log (events are listed in the order they happened). */
export const eventPosition = (json, event) => json.events.indexOf(event);

/**
 * Check a finished requests run against the results JSON contract and return its
 * requests in order.
 *   expect.n        number of requests (default: json.total)
 *   expect.mode     "seq" | "gather" | "taskgroup" (the link's mode= values)
 *   expect.network  "sim" | "live"
 *   expect.status   default "done"
 */
export function assertRequestsRun(json, expect = {}) {
  const dump = JSON.stringify(json);
  assert.equal(json.lab, 'async', `lab: ${dump}`);
  assert.equal(json.experiment, 'requests', `experiment: ${dump}`);
  assert.equal(json.status, expect.status ?? 'done', `status: ${dump}`);
  if (expect.mode !== undefined) assert.equal(json.mode, expect.mode, `mode: ${dump}`);
  if (expect.network !== undefined) assert.equal(json.network, expect.network, `network: ${dump}`);
  const n = expect.n ?? json.total;
  assert.equal(json.total, n, `total: ${dump}`);

  const requests = requestsInOrder(json);
  assert.equal(requests.length, n, `requests.length: ${dump}`);
  assert.deepEqual(
    requests.map((r) => r.index),
    requests.map((_, i) => i),
    `request indices are not 0..n-1: ${dump}`,
  );
  if (n <= CLASSIC_IDS.length) {
    assert.deepEqual(
      requests.map((r) => r.id),
      CLASSIC_IDS.slice(0, n),
      `ids are not the classic AniList ids: ${dump}`,
    );
  }
  // The summary counts agree with the per-request phases.
  const count = (phase) => requests.filter((r) => r.phase === phase).length;
  assert.equal(json.done, count('done'), `done vs phases: ${dump}`);
  assert.equal(json.failed, count('failed'), `failed vs phases: ${dump}`);
  assert.equal(json.cancelled, count('cancelled'), `cancelled vs phases: ${dump}`);
  assert.equal(json.timedOut, count('timed-out'), `timedOut vs phases: ${dump}`);

  for (const r of requests) {
    const where = `request ${r.index} ${JSON.stringify(r)}`;
    if (r.startMs !== null) {
      assert.ok(isFiniteNumber(r.startMs) && r.startMs >= 0, `${where}: startMs`);
      if (r.endMs !== null) assert.ok(r.startMs <= r.endMs, `${where}: startMs > endMs`);
    }
    if (r.phase === 'done' || r.phase === 'failed' || r.phase === 'timed-out') {
      assert.ok(isFiniteNumber(r.startMs), `${where}: a finished request without startMs`);
      assert.ok(isFiniteNumber(r.endMs), `${where}: a finished request without endMs`);
    }
  }
  if ((expect.status ?? 'done') === 'done') {
    assert.ok(isFiniteNumber(json.wallMs) && json.wallMs > 0, `wallMs must be > 0: ${dump}`);
    for (const r of requests) {
      assert.ok(FINAL_PHASES.includes(r.phase), `request ${r.index} left in phase "${r.phase}" by a finished run: ${dump}`);
    }
  }
  return requests;
}

/** Classes of the flight bars of the request timeline, in request order. */
export async function flightClasses(page) {
  return page
    .locator(`${testId('aio-timeline')} rect.flight`)
    .evaluateAll((rects) => rects.map((r) => r.getAttribute('class')));
}

/** The text lines of the event log. */
export async function eventLines(page) {
  return page.locator(`${testId('aio-events')} li`).allInnerTexts();
}

/** Type into an input as a user would (one input event per character after clearing it). */
export async function typeInto(page, id, text) {
  const input = page.locator(testId(id));
  await input.fill('');
  await input.pressSequentially(text);
  return input;
}

/** The raw text of the results JSON (to tell a new run's document from the last one). */
export const resultsText = (page) => page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, RESULTS_SELECTOR);

/**
 * Wait for a run started after `previous` (the results text before it) to end "done";
 * returns its JSON. A "done" left over from the previous run does not count.
 */
export async function waitForNextDone(page, previous, timeout = 30_000) {
  await waitFor(async () => (await resultsText(page)) !== previous, {
    timeout: 10_000,
    message: 'the results JSON to change after starting a run',
  });
  return waitForStatus(page, ['done'], timeout);
}

// Freeze detection and clicking without waiting are shared by every lab's tests.
export { recordHeartbeat, framesAt, framesDuring, clickSoon, waitForRunEnabled } from '../lib.mjs';
