// What every engine tier checks, through a small driver that Playwright (Firefox) and
// WebDriver (WebKit) both provide: { goto(url), eval(fn, ...args), waitFor(fn, opts) }.
//
// The expectations follow from what the page itself reports (crossOriginIsolated,
// SharedArrayBuffer, JSPI), and each tier also states what its engine must report, so a
// tier cannot pass by quietly taking another path. What each run saw is written to
// target/browser-support/ENGINE.json, from which the README's support table is filled.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRST_VISITS, PYTHON_PRESETS, HOSTILE_LINK } from '../first-visits.mjs';
import { pollPage } from '../webdriver.mjs';
import { programSource, cpythonOutput, maskTimes, encodeCode } from '../tests/python-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SUPPORT_DIR = path.resolve(HERE, '..', '..', 'target', 'browser-support');

/** The suite's driver over a Playwright page (Chromium, Firefox). */
export function playwrightDriver(page, version = null) {
  const driver = {
    version,
    goto: (url) => page.goto(url),
    eval: (fn, ...args) => page.evaluate(([src, a]) => (0, eval)(`(${src})`)(...a), [fn.toString(), args]),
    click: (css) => page.locator(css).click(),
    waitFor: (fn, options) => pollPage(driver.eval, fn, options),
  };
  return driver;
}

/** The page's own view of what it can do. */
export const features = (driver) =>
  driver.eval(() => ({
    userAgent: navigator.userAgent,
    isolated: self.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    jspi: typeof WebAssembly.Suspending === 'function',
    cores: navigator.hardwareConcurrency,
  }));

/** Waits for the results JSON to reach one of `statuses`; returns it. */
export async function waitForResults(driver, statuses, timeout) {
  return driver.waitFor(
    (wanted) => {
      let json = null;
      try {
        json = JSON.parse(document.querySelector('[data-testid="results-json"]')?.textContent ?? 'null');
      } catch {
        return null; // not a whole document yet
      }
      return json && wanted.includes(json.status) ? json : null;
    },
    { timeout, message: `results with status ${statuses.join('|')}`, args: [statuses] },
  );
}

const poolOf = (driver) =>
  driver.waitFor(() => {
    const pool = document.querySelector('main[data-pool]')?.dataset.pool;
    return pool && pool !== 'starting' ? pool : null;
  }, { timeout: 30_000, message: 'the worker pool to start or be refused' });

/** The app started and drew (the loader's mark) and reports no failed load: WebDriver
 *  shows no console, so this is how a blank page or an uncaught start-up error shows. */
async function assertDrawn(driver, what) {
  const state = await driver.waitFor(
    () => (performance.getEntriesByName('playground-drawn').length > 0 || document.querySelector('[data-testid="load-failed"]')) && {
      drawn: performance.getEntriesByName('playground-drawn').length > 0,
      failed: document.querySelector('[data-testid="load-failed"]')?.innerText ?? null,
      main: document.querySelector('main')?.innerText.length ?? 0,
    },
    { timeout: 60_000, message: `${what}: the page drawn` },
  );
  assert.deepEqual([state.drawn, state.failed], [true, null], `${what}: ${JSON.stringify(state)}`);
  assert.ok(state.main > 100, `${what}: the page is nearly empty (${state.main} characters)`);
}

const textOf = (driver, id) => driver.eval((testid) => document.querySelector(`[data-testid="${testid}"]`)?.innerText ?? null, id);

/**
 * Runs the checks. `site` is the app's root URL (ending in /); `record` collects what was
 * seen. Returns the record.
 */
export async function runEngineSuite(driver, { site, engine, expect = {} }) {
  const record = { engine, version: driver.version ?? null, site, checked: [] };
  const note = (what, detail = '') => record.checked.push(detail ? `${what}: ${detail}` : what);

  // Each lab's first-visit link reaches its end, on workers where the page can share memory.
  for (const visit of FIRST_VISITS.filter((v) => v.lab !== 'python')) {
    await driver.goto(site + visit.link);
    await assertDrawn(driver, visit.lab);
    const json = await waitForResults(driver, ['done', 'error', 'cancelled'], 90_000);
    assert.ok(visit.check(json), `${visit.lab}: ${JSON.stringify(json).slice(0, 800)}`);
    const pool = await poolOf(driver);
    const f = await features(driver);
    record.features ??= f;
    const threads = f.isolated && f.sharedArrayBuffer;
    assert.equal(pool, threads ? 'ready' : 'single', `${visit.lab}: pool ${pool} with ${JSON.stringify(f)}`);
    if (!threads) {
      const notice = await textOf(driver, 'coi-notice');
      assert.match(notice ?? '', f.isolated ? /withholds SharedArrayBuffer/ : /not cross-origin isolated/, `${visit.lab}: the one-thread notice`);
      record.poolNotice = notice;
    }
    if (visit.lab === 'cpu') record.cpuWorkers = json.workers;
    note(`${visit.lab} run=1`, threads ? 'on workers' : 'on one thread');
  }
  const f = record.features;
  for (const [key, value] of Object.entries(expect)) assert.equal(f[key], value, `${engine} should report ${key}=${value}: ${JSON.stringify(f)}`);

  // The Python lab: asyncio, a process pool and threads.
  for (const id of PYTHON_PRESETS) {
    await driver.goto(`${site}python?preset=${id}&run=1`);
    await assertDrawn(driver, `python ${id}`);
    const json = await waitForResults(driver, ['done', 'error', 'stopped'], 180_000);
    const ready = await driver.eval(() => document.querySelector('[data-testid="py-ready"]')?.dataset.stackSwitching ?? null);
    assert.equal(ready, String(f.jspi), `python ${id}: the lab's view of stack switching`);
    if (id === 'bank-lock' && !f.jspi) {
      // Threads need JSPI: CPython's own error, and the lab says why in one sentence.
      assert.equal(json.exception?.type, 'RuntimeError', JSON.stringify(json).slice(0, 800));
      assert.match(await textOf(driver, 'py-hint'), /cannot start threads.*cannot suspend WebAssembly/);
      note(`python ${id}`, "RuntimeError: can't start new thread, with the lab's sentence (no JSPI)");
      continue;
    }
    assert.equal(json.status, 'done', `python ${id}: ${JSON.stringify(json).slice(0, 800)}`);
    const expected = maskTimes(cpythonOutput(programSource(id)));
    if (id === 'process-pool-small') {
      const lines = (text) => text.split('\n').filter((l) => l.startsWith('Factorial of range')).sort();
      assert.deepEqual(lines(json.stdout), lines(expected), `python ${id}: results`);
      const parallel = f.isolated && f.sharedArrayBuffer && f.jspi;
      assert.equal(json.pool.parallel, parallel, `python ${id}: parallel ${json.pool.parallel} with ${JSON.stringify(f)}`);
      if (!parallel) assert.match(await textOf(driver, 'py-pool-sequential'), /one after another in this interpreter/);
      note(`python ${id}`, parallel ? `${json.pool.tasks.length} tasks on child interpreters` : 'tasks one after another in the lab\'s interpreter');
    } else {
      assert.equal(maskTimes(json.stdout), expected, `python ${id}: stdout`);
      if (id === 'queue-pipeline') {
        const names = json.tasks.map((t) => t.name);
        assert.deepEqual(names, ['Task-1', 'producer', 'transformer', 'saver'], `python ${id}: task lanes, as on Chromium with JSPI`);
        record.queuePipelineBlockedMs = json.loopBlockedMs;
      }
      note(`python ${id}`, f.jspi ? 'as CPython prints it' : 'as CPython prints it, asyncio.run as an await (no JSPI)');
    }
    if (!(f.isolated && f.sharedArrayBuffer)) {
      assert.match(await textOf(driver, 'py-no-interrupts'), /Stop cannot interrupt Python/);
    }
  }

  // Stop on a busy loop: KeyboardInterrupt where the page shares memory with the worker
  // (the interrupt flag); elsewhere the lab replaces the interpreter, and says so. Under
  // load the interrupt can miss the lab's 500 ms deadline, hence a second try.
  const canInterrupt = f.isolated && f.sharedArrayBuffer;
  for (let attempt = 1; ; attempt++) {
    await driver.goto(`${site}python?code=${encodeCode('n = 0\nwhile True:\n    n += 1\n')}&run=1`);
    await waitForResults(driver, ['running'], 180_000);
    await new Promise((r) => setTimeout(r, 700));
    await driver.click('[data-testid="py-stop"]');
    const stopped = await waitForResults(driver, ['stopped', 'done', 'error'], 30_000);
    assert.equal(stopped.status, 'stopped', JSON.stringify(stopped).slice(0, 500));
    const replaced = await driver.waitFor(() => document.querySelector('[data-testid="py-replaced"]')?.innerText ?? 'none', { timeout: 5_000 });
    if (!canInterrupt) {
      assert.match(replaced, /cannot be interrupted.*replaced with a fresh one/s);
      note('python Stop', 'replaces the interpreter (no shared memory for the interrupt flag), and says so');
      break;
    }
    if (replaced === 'none' && stopped.exception?.type === 'KeyboardInterrupt') {
      note('python Stop', 'KeyboardInterrupt in the running program');
      break;
    }
    assert.ok(attempt < 2, `Stop did not interrupt the busy loop twice: ${replaced} ${JSON.stringify(stopped.exception)}`);
  }

  // A hostile link: reported, not executed, and the page still runs.
  await driver.goto(site + HOSTILE_LINK);
  const errors = await driver.waitFor(() => document.querySelector('[data-testid="link-errors"]')?.innerText, { timeout: 30_000, message: 'the link errors' });
  for (const key of ['k', 'tasks', 'mode', 'bogus']) assert.match(errors, new RegExp(`\\b${key}\\b`), `link errors: ${errors}`);
  assert.equal(await driver.eval(() => [...document.querySelectorAll('script')].some((s) => s.textContent.includes('alert(1)'))), false);
  await driver.waitFor(() => document.querySelector('[data-testid="run"]')?.disabled === false, { timeout: 30_000, message: 'Run enabled' });
  await driver.click('[data-testid="run"]');
  const hostile = await waitForResults(driver, ['done', 'error', 'cancelled'], 60_000);
  assert.equal(hostile.status, 'done', JSON.stringify(hostile).slice(0, 500));
  assert.equal(hostile.iterations, 1000);
  note('hostile link', 'reported, nothing of it executed, and Run still works');

  fs.mkdirSync(SUPPORT_DIR, { recursive: true });
  fs.writeFileSync(path.join(SUPPORT_DIR, `${engine}.json`), JSON.stringify(record, null, 2));
  return record;
}
