// The Python lab switches busy threads as CPython 3.10+ does: after a switch interval
// while another thread waits, at CPython's own check points. Each program prints what
// python3.13 prints here (timings masked), and the results JSON records the threads.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { cpythonOutput, encodeCode, maskTimes, programSource, PYTHON_313, runAndWait, waitForPyStatus } from './python-helpers.mjs';

const finished = ['done', 'error', 'stopped'];

async function runPreset(app, id) {
  await app.goto(`/python?preset=${id}&run=1`);
  const json = await waitForPyStatus(app.page, finished, 120_000);
  assert.equal(json.status, 'done', json.stderr);
  assert.equal(json.stderr, '');
  return json;
}

const kinds = (thread) => new Set(thread.stretches.map(([kind]) => kind));

test('a sleeping thread beside a busy one keeps beating, as in CPython', { timeout: 240_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;
    const json = await runPreset(app, 'sleeper-beside-busy');
    assert.equal(maskTimes(json.stdout), maskTimes(cpythonOutput(programSource('sleeper-beside-busy'), PYTHON_313)));
    assert.match(json.stdout, /^The heartbeat kept beating: True$/m);
    const threads = json.threads;
    assert.equal(threads.preemptive, true);
    assert.equal(threads.switchIntervalMs, 5);
    assert.ok(threads.forcedSwitches > 10, `${threads.forcedSwitches} forced switches`);
    assert.deepEqual(threads.threads.map((t) => t.name), ['MainThread', 'heartbeat']);
    const heartbeat = threads.threads[1];
    for (const kind of ['run', 'sleep', 'wait']) assert.ok(kinds(heartbeat).has(kind), `the heartbeat has no ${kind} stretch`);
    assert.ok(kinds(threads.threads[0]).has('forced'), 'the busy main thread was never switched out');

    // Drawn: a lane per thread, named, with the threads lab's legend and a link to it.
    const section = page.locator(testId('py-threads'));
    await section.waitFor();
    const labels = await page.locator(`${testId('py-thread-timeline')} .lane-label`).allTextContents();
    assert.deepEqual(labels, ['MainThread', 'heartbeat']);
    assert.ok((await page.locator(`${testId('py-thread-stretch')}.st-forced`).count()) > 0);
    assert.match(await section.innerText(), /waiting for the GIL/);
    assert.match(await section.innerText(), /no free-threaded build/);
    assert.match(await section.locator('a').first().getAttribute('href'), /^threads\?preset=/);
    assert.match(await page.locator(testId('py-thread-figures')).innerText(), /\d+ switches of the interpreter, \d+ of them/);
  });
});

test('two CPU-bound threads take turns and are no faster; counter += 1 loses nothing', { timeout: 240_000 }, async () => {
  await withApp('/', async (app) => {
    // Timed on a second run: in the first seconds after a start V8 is still optimizing
    // CPython's WebAssembly, so the program's first half (one call after the other) could
    // run slower than its second (the threads) and print "Faster in threads: True".
    await runPreset(app, 'two-cpu-threads');
    const cpu = await runAndWait(app.page);
    assert.equal(cpu.status, 'done', cpu.stderr);
    assert.equal(maskTimes(cpu.stdout), maskTimes(cpythonOutput(programSource('two-cpu-threads'), PYTHON_313)));
    assert.match(cpu.stdout, /Faster in threads: False\nThey took turns: True/);
    const [main, a, b] = cpu.threads.threads;
    assert.deepEqual([main.name, a.name, b.name], ['MainThread', 'Thread-1 (timed_count)', 'Thread-2 (timed_count)']);
    for (const t of [a, b]) {
      const turns = t.stretches.filter(([kind]) => kind === 'run').length;
      assert.ok(turns >= 5, `${t.name} ran ${turns} times`);
    }
    // Only one thread holds the interpreter at any time.
    const runs = cpu.threads.threads.flatMap((t) => t.stretches.filter(([k]) => k === 'run').map(([, s, e]) => [s, e]));
    runs.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < runs.length; i += 1) assert.ok(runs[i][0] >= runs[i - 1][1] - 1e-3, `${runs[i - 1]} and ${runs[i]} overlap`);

    const counter = await runPreset(app, 'counter-threads');
    assert.equal(counter.stdout, cpythonOutput(programSource('counter-threads'), PYTHON_313));
    assert.equal(counter.stdout, 'counter = 400000 (expected 400000)\n');
  });
});

const SPIN_FOR = (interval) => `import sys
import threading

sys.setswitchinterval(${interval})


def count(n):
    while n > 0:
        n -= 1


threads = [threading.Thread(target=count, args=(1_500_000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sys.getswitchinterval())
`;

test('a shorter switch interval gives more switches', { timeout: 240_000 }, async () => {
  await withApp('/', async (app) => {
    const runWith = async (interval) => {
      await app.goto(`/python?code=${encodeCode(SPIN_FOR(interval))}&run=1`);
      const json = await waitForPyStatus(app.page, finished, 120_000);
      assert.equal(json.status, 'done', json.stderr);
      assert.equal(json.stdout, cpythonOutput(SPIN_FOR(interval), PYTHON_313));
      return json.threads;
    };
    const short = await runWith(0.001);
    const long = await runWith(0.05);
    assert.equal(short.switchIntervalMs, 1);
    assert.equal(long.switchIntervalMs, 50);
    // The same work: every 1 ms against every 50 ms. Even with a handover's cost the
    // short interval switches many times more often.
    assert.ok(short.forcedSwitches > 3 * long.forcedSwitches, `${short.forcedSwitches} against ${long.forcedSwitches}`);
  });
});

// asyncio's loop lets JavaScript run without passing through threads.py: a thread
// switched out meanwhile must still go on (it once waited for good), and the loop's
// coroutines run in the main thread.
const LOOP_AND_THREAD = `import asyncio
import threading
import time

lock = threading.Lock()


async def main():
    loop = asyncio.get_running_loop()
    result = loop.create_future()
    holding = threading.Event()
    names = []

    def worker():
        with lock:
            holding.set()
            time.sleep(0.05)
        start = time.perf_counter()
        while time.perf_counter() - start < 0.3:
            pass
        names.append(threading.current_thread().name)
        loop.call_soon_threadsafe(result.set_result, "worker done")

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    holding.wait()
    # Blocked until the worker lets go of the lock; woken, the main thread gets the
    # interpreter within a switch interval while the worker spins, and waits in the loop.
    with lock:
        names.append(threading.current_thread().name)
    print(await result)
    await asyncio.sleep(0.007)
    names.append(threading.current_thread().name)
    thread.join()
    print(names)


asyncio.run(main())
`;

test('a thread switched out while the main thread waits in asyncio goes on; coroutines run in the main thread', { timeout: 240_000 }, async () => {
  await withApp('/', async (app) => {
    await app.goto(`/python?code=${encodeCode(LOOP_AND_THREAD)}&run=1`);
    const json = await waitForPyStatus(app.page, finished, 60_000);
    assert.equal(json.status, 'done', json.stderr);
    assert.equal(json.stdout, cpythonOutput(LOOP_AND_THREAD, PYTHON_313));
    assert.equal(json.stdout, "worker done\n['MainThread', 'worker', 'MainThread']\n");
    assert.ok(json.threads.forcedSwitches >= 1, `the worker was never switched out: ${JSON.stringify(json.threads)}`);
    // Only one thread holds the interpreter at any time, the loop's waits included.
    const runs = json.threads.threads.flatMap((t) => t.stretches.filter(([k]) => k === 'run').map(([, s, e]) => [s, e]));
    runs.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < runs.length; i += 1) assert.ok(runs[i][0] >= runs[i - 1][1] - 1e-3, `${runs[i - 1]} and ${runs[i]} overlap`);
  });
});

const TWO_SPINNERS = `import threading


def spin():
    while True:
        pass


for _ in range(2):
    threading.Thread(target=spin).start()
print("spinning")
`;

test('Stop ends two spinning threads that take turns, and the interpreter stays', { timeout: 240_000 }, async () => {
  await withApp('/python', async (app) => {
    const { page } = app;
    const attempt = async () => {
      await app.goto(`/python?code=${encodeCode(TWO_SPINNERS)}&run=1`);
      await page.locator(testId('py-output')).getByText('spinning').waitFor({ timeout: 90_000 });
      await page.waitForTimeout(500);
      await page.locator(testId('py-stop')).click();
      const json = await waitForPyStatus(page, finished, 20_000);
      return { json, replaced: (await page.locator(testId('py-replaced')).count()) > 0 };
    };
    // As in 49: Stop has 500 ms before the interpreter is replaced, which a busy machine
    // may miss once; a Stop that does not reach the program misses twice.
    let stop = await attempt();
    if (stop.replaced) stop = await attempt();
    assert.equal(stop.json.status, 'stopped', JSON.stringify(stop.json).slice(0, 400));
    assert.equal(stop.replaced, false);
    const spinners = stop.json.threads.threads.slice(1);
    assert.equal(spinners.length, 2);
    for (const t of spinners) assert.ok(kinds(t).has('run') && kinds(t).has('forced'), `${t.name} did not take turns`);

    // The same interpreter runs the next program, with no thread left from the last.
    await page.locator(testId('preset-counter-threads')).click();
    const next = await runAndWait(page);
    assert.equal(next.stdout, 'counter = 400000 (expected 400000)\n');
  });
});
