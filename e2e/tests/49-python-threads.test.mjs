// The Python lab's emulated threads: the tutorial's bank race loses updates as CPython's
// does and its Lock fix prints 800; threads get their own ident, name and threading.local,
// and are numbered from Thread-1 in every run; and Stop ends a program whose thread
// sleeps or spins, without replacing the interpreter.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { cpythonOutput, encodeCode, programSource, runAndWait, waitForPyStatus, PYTHON } from './python-helpers.mjs';

const balanceOf = (stdout) => Number(/^Final balance: (\d+)$/m.exec(stdout)?.[1]);

test('the bank race loses updates and the Lock fix prints 800, as in CPython', { timeout: 180_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;
    await app.goto('/python?preset=bank-race&run=1');
    const race = await waitForPyStatus(page, ['done', 'error', 'stopped'], 90_000);
    assert.equal(race.status, 'done', race.stderr);
    assert.equal(race.stderr, '');
    const here = balanceOf(race.stdout);
    const there = balanceOf(cpythonOutput(programSource('bank-race')));
    // Both threads that read before the other wrote lose an update: more than 800 left.
    // Which of 850, 900, 950 depends on start-up time against the 1 ms sleep. Natively, on
    // a machine busy with the browser, a thread can also take longer than 1 ms to start,
    // and then CPython prints 800: the page is the one under test.
    assert.ok([850, 900, 950].includes(here), `the page printed ${here}`);
    assert.ok([800, 850, 900, 950].includes(there), `${PYTHON} printed ${there}`);
    assert.match(await page.locator(testId('py-threads-emulated')).innerText(), /emulated/);
    assert.equal(race.threadsStarted, 4);
    assert.deepEqual(race.tasks, [], "the tasks Pyodide waits through are not the program's");

    await app.goto('/python?preset=bank-lock&run=1');
    const locked = await waitForPyStatus(page, ['done', 'error', 'stopped'], 90_000);
    assert.equal(locked.status, 'done', locked.stderr);
    assert.equal(locked.stdout, cpythonOutput(programSource('bank-lock')));
    assert.equal(locked.stdout, 'Final balance: 800\n');
  });
});

const PROBE = `import threading
import time

local = threading.local()
seen = []


def probe(n):
    local.n = n
    time.sleep(0.002)
    me = threading.current_thread()
    seen.append((n, local.n, me.name, me.ident == threading.get_ident(), me.ident != threading.main_thread().ident))


threads = [threading.Thread(target=probe, args=(n,)) for n in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(seen))
print(threading.current_thread().name, threading.active_count(), [t.is_alive() for t in threads])
`;

test('threads have their own ident, name and threading.local, numbered from 1 in every run', { timeout: 180_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;
    await app.goto(`/python?code=${encodeCode(PROBE)}&run=1`);
    const probe = await waitForPyStatus(page, ['done', 'error', 'stopped'], 90_000);
    assert.equal(probe.status, 'done', probe.stderr);
    assert.equal(probe.stdout, cpythonOutput(PROBE), `the page and ${PYTHON} differ`);
    assert.match(await page.locator(testId('py-threads-emulated')).innerText(), /^3 threads started\. Threads here are emulated/);

    // Run again in the same interpreter: names count from Thread-1 again, as in a new process.
    const again = await runAndWait(page);
    assert.equal(again.stdout, probe.stdout);

  });
});

const SLEEPING = `import threading
import time


def tick():
    while True:
        time.sleep(0.01)


worker = threading.Thread(target=tick)
worker.start()
print("started")
worker.join()
`;

const SPINNING = `import threading


def spin():
    while True:
        pass


threading.Thread(target=spin).start()
`;

// Stop has 500 ms before the page replaces the interpreter; here it takes 50 to 210 ms,
// but once, in a full run on a busy 2-core machine, it took longer. Missing the deadline
// under load is the lab working as designed, not a bug, so each case gets a second try;
// a Stop that does not reach the program fails both.
async function stopOnce(app, code, started) {
  const { page } = app;
  await app.goto(`/python?code=${encodeCode(code)}&run=1`);
  await started(page);
  await page.locator(testId('py-stop')).click();
  const json = await waitForPyStatus(page, ['stopped', 'done', 'error'], 20_000);
  const replaced = (await page.locator(testId('py-replaced')).count()) > 0;
  return { json, replaced };
}

async function stopWithinDeadline(app, code, started) {
  let attempt = await stopOnce(app, code, started);
  if (attempt.replaced) attempt = await stopOnce(app, code, started);
  assert.equal(attempt.json.status, 'stopped', JSON.stringify(attempt.json));
  assert.equal(attempt.replaced, false, 'the interpreter was replaced, twice');
  return attempt.json;
}

test('Stop ends a program whose thread sleeps or spins, and the interpreter stays', { timeout: 150_000 }, async () => {
  await withApp('/python', async (app) => {
    const { page } = app;
    let json = await stopWithinDeadline(app, SLEEPING, (p) =>
      p.locator(testId('py-output')).getByText('started').waitFor({ timeout: 90_000 }),
    );
    assert.equal(json.exception?.type, 'KeyboardInterrupt');
    assert.equal(json.exception.line, 13, 'main, waiting in join, is the one interrupted');

    // The main thread is done and joins the spinning one at the run's end, so Stop's
    // KeyboardInterrupt lands in the thread, and ends the run.
    await stopWithinDeadline(app, SPINNING, async (p) => {
      await waitForPyStatus(p, 'running', 60_000);
      await p.waitForTimeout(1000);
    });

    // It runs the next program, with no thread left from the last one.
    await page.locator(testId('preset-bank-lock')).click();
    const next = await runAndWait(page);
    assert.equal(next.stdout, 'Final balance: 800\n');
  });
});
