// Shared helpers for the end-to-end tests, the benchmark and the screenshots.
//
// Every helper that starts something (server, browser, context) hands back a
// `close()` that stops exactly what it started.

import fs from 'node:fs';
import path from 'node:path';
import { AssertionError } from 'node:assert';
import { chromium } from 'playwright-core';
import { startServer, DEFAULT_ROOT } from './server.mjs';

export { startServer, DEFAULT_ROOT };

/** Where the built app is taken from: $E2E_DIST if set, else <repo>/dist. */
export const APP_ROOT = process.env.E2E_DIST ? path.resolve(process.env.E2E_DIST) : DEFAULT_ROOT;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);

/** The "classic" 20 (start, end) tasks used by the benchmark and the default preset. */
export const CLASSIC_TASKS =
  '2-38,5-50,68-83,14-57,3-38,6-50,69-83,15-57,4-38,7-50,70-83,16-57,5-38,8-50,25-83,17-57,6-38,9-50,26-83,18-57';

export const RESULTS_SELECTOR = '[data-testid="results-json"]';

/** Statuses after which a run does not change by itself any more. */
export const TERMINAL_STATUSES = Object.freeze(['done', 'cancelled', 'error']);

/** A console/page error text that means Rust panicked or wasm trapped. */
export const PANIC_PATTERN = /panicked|unreachable/i;

export const testId = (id) => `[data-testid="${id}"]`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws a readable error when the app has not been built into `root`. */
export function assertBuilt(root = APP_ROOT) {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(
      `${index} not found: build the app first (e.g. \`trunk build\` or \`trunk build --release\` in the repo root)`,
    );
  }
  return index;
}

/** Launch headless Chromium (the system one; playwright never downloads a browser here). */
export async function launch(options = {}) {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  const { args = [], ...rest } = options;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    ...rest,
  });
}

const diagnosticsByPage = new WeakMap();

/**
 * Start recording what can go wrong in a page: uncaught errors (`pageerror`),
 * console errors from the page and from its dedicated workers (the wasm thread
 * pool lives in workers, and a panic there is only visible on their console),
 * dialogs (recorded, then dismissed so nothing hangs) and crashes.
 */
export function watchPage(page) {
  const existing = diagnosticsByPage.get(page);
  if (existing) return existing;
  const diag = {
    pageErrors: [],
    consoleErrors: [],
    dialogs: [],
    crashed: false,
  };
  const seen = new WeakSet();
  const onConsole = (where) => (msg) => {
    if (seen.has(msg)) return;
    seen.add(msg);
    if (msg.type() !== 'error') return;
    const loc = msg.location?.() ?? {};
    diag.consoleErrors.push({
      where,
      text: msg.text(),
      url: loc.url ?? '',
      line: loc.lineNumber,
    });
  };
  page.on('console', onConsole('page'));
  page.on('worker', (worker) => worker.on('console', onConsole(`worker ${worker.url()}`)));
  page.on('pageerror', (err) => {
    diag.pageErrors.push(String(err?.stack || err?.message || err));
  });
  page.on('dialog', (dialog) => {
    diag.dialogs.push({ type: dialog.type(), message: dialog.message() });
    dialog.dismiss().catch(() => {});
  });
  page.on('crash', () => {
    diag.crashed = true;
  });
  diagnosticsByPage.set(page, diag);
  return diag;
}

/** Diagnostics of a page (creates an empty recorder if the page was not watched yet). */
export function diagnostics(page) {
  return watchPage(page);
}

/** Console errors that look like a Rust panic or a wasm trap. */
export function panicMessages(pageOrDiag) {
  const diag = pageOrDiag?.consoleErrors ? pageOrDiag : diagnostics(pageOrDiag);
  return [
    ...diag.pageErrors.filter((t) => PANIC_PATTERN.test(t)),
    ...diag.consoleErrors.map((e) => e.text).filter((t) => PANIC_PATTERN.test(t)),
  ];
}

/** One-paragraph summary of everything recorded, for failure messages. */
export function describeDiagnostics(pageOrDiag) {
  const diag = pageOrDiag?.consoleErrors ? pageOrDiag : diagnostics(pageOrDiag);
  const lines = [];
  if (diag.crashed) lines.push('page CRASHED');
  for (const e of diag.pageErrors) lines.push(`pageerror: ${e}`);
  for (const e of diag.consoleErrors) lines.push(`console.error (${e.where}): ${e.text}${e.url ? ` @ ${e.url}:${e.line}` : ''}`);
  for (const d of diag.dialogs) lines.push(`dialog ${d.type}: ${d.message}`);
  return lines.length ? lines.join('\n') : '(no page errors, console errors or dialogs recorded)';
}

/**
 * Assert no uncaught page error, no panic/trap on any console, no crash and
 * (unless allowed) no dialog happened. Other console errors are not failures
 * by themselves but are included in the message when something else fails.
 */
export function assertNoPageErrors(pageOrApp, { allowDialogs = false } = {}) {
  const page = pageOrApp?.page ?? pageOrApp;
  const diag = diagnostics(page);
  const problems = [];
  if (diag.crashed) problems.push('the page crashed');
  if (diag.pageErrors.length) problems.push(`${diag.pageErrors.length} uncaught page error(s)`);
  const panics = diag.consoleErrors.filter((e) => PANIC_PATTERN.test(e.text));
  if (panics.length) problems.push(`${panics.length} console error(s) reporting a panic/trap`);
  if (!allowDialogs && diag.dialogs.length) problems.push(`${diag.dialogs.length} dialog(s) opened`);
  if (problems.length) {
    throw new AssertionError({
      message: `${problems.join(', ')}:\n${describeDiagnostics(diag)}`,
      operator: 'assertNoPageErrors',
    });
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Poll `fn` until it returns a truthy value (which is returned) or time runs out.
 * Exceptions thrown by `fn` count as "not yet" and the last one is reported.
 */
export async function waitFor(fn, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError = null;
  let lastValue;
  for (;;) {
    try {
      lastValue = await fn();
      if (lastValue) return lastValue;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : ` (last value: ${JSON.stringify(lastValue)})`;
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await sleep(interval);
  }
}

/** Raw text of the results JSON element, or null when it is not in the DOM. */
async function resultsText(page, timeoutMs) {
  return withTimeout(
    page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, RESULTS_SELECTOR),
    timeoutMs,
    'reading the results JSON',
  );
}

/**
 * Parse the JSON shown in [data-testid="results-json"]. Waits up to `timeout`
 * ms for the element to exist; throws if it never does or is not valid JSON.
 */
export async function readResults(page, { timeout = 10_000 } = {}) {
  const text = await page.locator(RESULTS_SELECTOR).textContent({ timeout });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`results JSON does not parse (${err.message}): ${JSON.stringify(text?.slice(0, 500))}`);
  }
}

/**
 * Poll the results JSON until its `status` is one of `statuses`; returns the
 * parsed JSON. Fails early when the run reaches a different terminal status
 * (done/cancelled/error), when the page reports an uncaught error or a panic,
 * or when it crashes, so a broken run does not sit out the whole timeout.
 */
export async function waitForStatus(
  page,
  statuses,
  timeoutMs = 30_000,
  { pollMs = 100, failFast = true } = {},
) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  const diag = diagnostics(page);
  const deadline = Date.now() + timeoutMs;
  let lastText = null;
  let lastJson = null;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      lastText = await resultsText(page, remaining);
    } catch (err) {
      if (page.isClosed() || diag.crashed) throw new Error(`page closed/crashed while waiting for status ${wanted.join('|')}\n${describeDiagnostics(diag)}`);
      if (/no answer within/.test(err.message)) break;
      // A page may load again on purpose (the service worker's one reload for isolation
      // on a host without the headers): read the new document's results.
      if (/Execution context was destroyed|navigation/i.test(err.message)) {
        await sleep(pollMs);
        continue;
      }
      throw err;
    }
    if (lastText !== null) {
      try {
        lastJson = JSON.parse(lastText);
      } catch {
        lastJson = null;
      }
    }
    if (lastJson && wanted.includes(lastJson.status)) return lastJson;
    if (failFast) {
      if (lastJson && TERMINAL_STATUSES.includes(lastJson.status)) {
        throw new Error(
          `run ended with status "${lastJson.status}" while waiting for ${wanted.join('|')}` +
            (lastJson.error ? ` (error: ${lastJson.error})` : '') +
            `\nresults: ${lastText}\n${describeDiagnostics(diag)}`,
        );
      }
      if (diag.crashed || diag.pageErrors.length || panicMessages(diag).length) {
        throw new Error(
          `page failed while waiting for status ${wanted.join('|')} (last status: ${lastJson?.status ?? 'n/a'})\n` +
            describeDiagnostics(diag),
        );
      }
    }
    await sleep(pollMs);
  }
  const shown = lastText === null ? '(no [data-testid="results-json"] element)' : lastText.slice(0, 2000);
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for status ${wanted.join('|')}; ` +
      `last status: ${lastJson?.status ?? 'n/a'}\nresults: ${shown}\n${describeDiagnostics(diag)}`,
  );
}

/**
 * Start the static server and a browser, open `appPath` in a fresh page.
 * Returns { page, url, pageUrl, server, browser, context, diag, goto, close }:
 *   url     - the server's base URL (http://127.0.0.1:PORT), for further navigation
 *   pageUrl - the full URL that was opened
 *   goto(p) - navigate the page to another app path
 *   close() - closes the page's context, the browser (unless one was passed in) and the server
 *
 * Options: isolated (default true), root (default $E2E_DIST or ../dist), browser (reuse one),
 * viewport, colorScheme, waitUntil (default 'load'), contextOptions (extra options for
 * browser.newContext, e.g. { permissions: ['clipboard-read'] }; viewport and colorScheme
 * above still apply unless contextOptions sets them too).
 */
export async function openApp(appPath = '/', options = {}) {
  const {
    isolated = true,
    root = APP_ROOT,
    browser: sharedBrowser = null,
    viewport = { width: 1280, height: 800 },
    colorScheme = 'light',
    waitUntil = 'load',
    contextOptions = {},
  } = options;
  assertBuilt(root);
  const started = [];
  const close = async () => {
    // Stop in reverse order; keep going if one step fails.
    const errors = [];
    while (started.length) {
      const stop = started.pop();
      try {
        await stop();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  };
  try {
    const server = await startServer({ root, isolated });
    started.push(() => server.close());
    const browser = sharedBrowser ?? (await launch());
    if (!sharedBrowser) started.push(() => browser.close());
    const context = await browser.newContext({ viewport, colorScheme, ...contextOptions });
    started.push(() => context.close());
    const page = await context.newPage();
    const diag = watchPage(page);
    const goto = async (p) => {
      const target = new URL(p, server.url).href;
      await page.goto(target, { waitUntil });
      return target;
    };
    const pageUrl = await goto(appPath);
    return { page, url: server.url, pageUrl, server, browser, context, diag, goto, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/**
 * Run `fn(app)` against a freshly opened app and always clean up afterwards.
 * Asserts no page error happened unless `checkErrors: false`.
 */
export async function withApp(appPath, options, fn) {
  if (typeof options === 'function') {
    fn = options;
    options = {};
  }
  const { checkErrors = true, ...openOptions } = options;
  const app = await openApp(appPath, openOptions);
  try {
    const out = await fn(app);
    if (checkErrors) assertNoPageErrors(app.page);
    return out;
  } catch (err) {
    // Attach what the page said: an app failure is often only explained there.
    const extra = describeDiagnostics(app.diag);
    if (err && typeof err === 'object' && !String(err.message).includes(extra)) {
      err.message = `${err.message}\n--- page diagnostics ---\n${extra}`;
    }
    throw err;
  } finally {
    await app.close();
  }
}

/** Number-ish check used by the tests. */
export const isFiniteNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Start recording the heartbeat's data-frames in the page itself, with a
 * performance.now() timestamp per change. Readings taken from the test process are
 * useless while the page's thread is blocked (they queue until it is free), so the page
 * keeps its own log. Returns a function that fetches the log: [[ms, frames], ...].
 */
export async function recordHeartbeat(page) {
  const heartbeat = page.locator(testId('heartbeat'));
  await heartbeat.waitFor({ state: 'attached', timeout: 30_000 });
  await heartbeat.evaluate((el) => {
    const log = [[performance.now(), Number(el.getAttribute('data-frames'))]];
    window.__heartbeatLog = log;
    new MutationObserver(() => log.push([performance.now(), Number(el.getAttribute('data-frames'))])).observe(el, {
      attributes: true,
      attributeFilter: ['data-frames'],
    });
  });
  return () => page.evaluate(() => window.__heartbeatLog.slice());
}

/** The heartbeat's frame count at page time `ms`, from a log of recordHeartbeat(). */
export function framesAt(log, ms) {
  let frames = log[0][1];
  for (const [t, f] of log) {
    if (t > ms) break;
    frames = f;
  }
  return frames;
}

/** Frames the heartbeat counted in the page-time window [from, from + length). */
export const framesDuring = (log, from, length) => framesAt(log, from + length) - framesAt(log, from);

/**
 * Click a button from inside the page on the next task, without waiting for its
 * handler: the run it starts may hold the page's thread. Returns the performance.now()
 * of the click.
 */
export async function clickSoon(page, id) {
  return page.evaluate(
    (sel) =>
      new Promise((resolve) => {
        setTimeout(() => {
          const at = performance.now();
          resolve(at);
          document.querySelector(sel).click();
        }, 0);
      }),
    testId(id),
  );
}

/** Wait until the run button is enabled (or disabled when `enabled` is false). */
export async function waitForRunEnabled(page, enabled = true, timeout = 5_000) {
  const run = page.locator(testId('run'));
  await waitFor(async () => (await run.isEnabled()) === enabled, {
    timeout,
    message: `the run button to be ${enabled ? 'enabled' : 'disabled'}`,
  });
  return run;
}

