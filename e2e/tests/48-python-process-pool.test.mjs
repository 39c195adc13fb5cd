// The Python lab's process pools: the tutorial's multiprocessing program runs as written on
// child interpreters and prints what CPython prints; two workers overlap and, warm, beat
// one interpreter; a child's exception comes back with its traceback; a lambda fails to
// pickle with CPython's own error; the child imports the program as __mp_main__; and Stop
// ends the children along with the program.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { cpythonOutput, encodeCode, maskTimes, programSource, waitForPyStatus, PYTHON } from './python-helpers.mjs';

const resultLines = (text) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('Factorial of range'))
    .sort();

test('process-pool-small prints the 20 results CPython prints, in the same format', { timeout: 240_000 }, async () => {
  await withApp('/python?preset=process-pool-small&run=1', async ({ page }) => {
    const json = await waitForPyStatus(page, ['done', 'error', 'stopped'], 180_000);
    assert.equal(json.status, 'done', json.stderr);
    assert.equal(json.stderr, '');
    const expected = cpythonOutput(programSource('process-pool-small'));
    const got = resultLines(json.stdout);
    assert.equal(got.length, 20, json.stdout);
    // as_completed gives finishing order, which may differ between two pools; the lines may not.
    assert.deepEqual(got, resultLines(expected), `results differ from ${PYTHON}'s`);
    assert.equal(maskTimes(json.stdout.trim().split('\n').at(-1)), maskTimes(expected.trim().split('\n').at(-1)));
    assert.equal(json.pool.parallel, true, JSON.stringify(json.pool));
    assert.equal(json.pool.figures.tasks, 20);
    assert.equal(json.pool.startups.length, json.pool.figures.workers);
    assert.ok(json.pool.startups.every((s) => s.cold), 'a fresh page starts its children');
    assert.equal(await page.locator(testId('py-pool-task')).count(), 20);
    assert.ok((await page.locator(testId('py-pool-startup')).count()) >= 1);
    assert.match(await page.locator(testId('py-pool-figures')).innerText(), /20 tasks on \d+ workers?/);
  });
});

test("the tutorial's program, full size, gives CPython's first result", { timeout: 120_000 }, async () => {
  // Its first task alone, with the full 2,000,000 rounds.
  const program = programSource('process-pool').replace(/TASKS = \[[^\]]*\]/s, 'TASKS = [(2, 38)]');
  await withApp(`/python?code=${encodeCode(program)}&run=1`, async ({ page }) => {
    const json = await waitForPyStatus(page, ['done', 'error', 'stopped'], 100_000);
    assert.equal(json.status, 'done', json.stderr);
    assert.equal(json.stdout.split('\n')[0], 'Factorial of range (2, 38): 1481646940');
  });
});

const TWO_WORKERS = `from concurrent.futures import ProcessPoolExecutor


def work(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=2) as executor:
        print(sum(executor.map(work, [3_000_000] * 4)))
`;

test('a pool of two overlaps its tasks and, warm, runs faster than one interpreter', { timeout: 240_000 }, async () => {
  await withApp(`/python?code=${encodeCode(TWO_WORKERS)}&run=1`, async ({ page }) => {
    const cold = await waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
    assert.equal(cold.status, 'done', cold.stderr);
    assert.equal(cold.stdout, `${4 * 8999994}\n`);
    assert.ok(cold.pool.startups.every((s) => s.cold));

    // Wall times on a shared machine can have a bad moment (another process takes a core);
    // a pool that does not run in parallel loses every time, so the best of three counts.
    const speedups = [];
    for (let attempt = 0; attempt < 3 && !(speedups.at(-1) > 1.2); attempt++) {
      const warm = await runAgain(page, 'py-run');
      assert.equal(warm.status, 'done', warm.stderr);
      assert.equal(warm.pool.figures.workers, 2);
      assert.ok(warm.pool.startups.every((s) => !s.cold), `children are kept warm: ${JSON.stringify(warm.pool.startups)}`);
      // Two interpreters ran at once: some task on each lane overlaps one on the other.
      const lane = (c) => warm.pool.tasks.filter((t) => t.child === c);
      const overlap = lane(0).some((a) => lane(1).some((b) => a.start < b.end && b.start < a.end));
      assert.ok(overlap, `no two tasks overlapped: ${JSON.stringify(warm.pool.tasks)}`);

      const one = await runAgain(page, 'py-run-on-one');
      assert.equal(one.status, 'done', one.stderr);
      assert.equal(one.stdout, warm.stdout, 'the same results on one interpreter');
      assert.equal(one.pool.onOneInterpreter, true);
      assert.equal(one.pool.parallel, false);
      speedups.push(one.pool.speedup);
    }
    // Two cores for two workers: 1.5x to 1.8x measured here; a pool that runs its tasks
    // one at a time gets about 1.0x.
    assert.ok(Math.max(...speedups) > 1.2, `speedups ${speedups.join(', ')}`);
    assert.match(await page.locator(testId('py-pool-speedup')).innerText(), /^Speedup \d+\.\d\dx: [\d ,]+ ms on one interpreter against [\d ,]+ ms on the pool's 2 workers/);
  });
});

/** Clicks Run (or Run on one interpreter) and waits for that run's results. */
async function runAgain(page, button) {
  await page.locator(testId(button)).click();
  await waitForPyStatus(page, 'running', 10_000);
  return waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
}

const ERRORS = `import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

print("imported as", __name__)


def boom(x):
    raise ValueError(f"bad {x}")


def square(x):
    return x * x


if __name__ == "__main__":
    print("cpus", os.cpu_count(), os.cpu_count() == multiprocessing.cpu_count())
    with multiprocessing.Pool(2) as pool:
        print(pool.map(square, range(5)), list(pool.imap(square, [7, 8])), sorted(pool.imap_unordered(square, [3, 2])))
    with ProcessPoolExecutor(max_workers=1) as executor:
        try:
            executor.submit(lambda x: x, 1).result()
        except Exception as error:
            print(type(error).__name__, error, sep=": ")
        executor.submit(boom, 3).result()
`;

test("a child's exception comes back with its traceback; a lambda fails to pickle", { timeout: 120_000 }, async () => {
  await withApp(`/python?code=${encodeCode(ERRORS)}&run=1`, async ({ page }) => {
    const json = await waitForPyStatus(page, ['done', 'error', 'stopped'], 100_000);
    assert.equal(json.status, 'error');
    const lines = json.stdout.trim().split('\n');
    // Spawn imports the program again in the child, where __name__ is __mp_main__.
    assert.equal(lines[0], 'imported as __main__');
    assert.ok(lines.includes('imported as __mp_main__'), json.stdout);
    // CPython 3.14's pickle, word for word (its address aside).
    assert.match(json.stdout, /^PicklingError: Can't pickle <function <lambda> at 0x[0-9a-f]+>: it's not found as __main__\.<lambda>$/m);
    assert.equal(json.exception.type, 'ValueError');
    assert.equal(json.exception.message, 'bad 3');
    assert.equal(json.exception.line, 25);
    // As CPython shows it: the child's traceback as the cause, then result() re-raising.
    assert.match(json.stderr, /^concurrent\.futures\.process\._RemoteTraceback: \n"""\nTraceback \(most recent call last\):/);
    assert.match(json.stderr, /File "main\.py", line 9, in boom\n\s+raise ValueError\(f"bad \{x\}"\)\nValueError: bad 3\n"""/);
    assert.match(json.stderr, /The above exception was the direct cause of the following exception:/);
    assert.match(json.stderr, /File "main\.py", line 25, in <module>\n\s+executor\.submit\(boom, 3\)\.result\(\)/);
    assert.match(json.stderr, /ValueError: bad 3\n$/);
    assert.doesNotMatch(json.stderr, /playground_pool\.py", line \d+, in result/, 'the runner shows in the traceback');
    // CPython 3.11 prints the same parts for the same program.
    const cpython = cpythonErr(ERRORS);
    for (const part of ['_RemoteTraceback: \n"""', 'in boom', 'The above exception was the direct cause', 'ValueError: bad 3']) {
      assert.ok(cpython.includes(part), `${PYTHON} lacks ${JSON.stringify(part)}: ${cpython}`);
    }
    assert.equal(json.pool.figures.failed, 1);
    // multiprocessing.Pool and cpu_count print what CPython prints.
    const cpythonLines = cpythonStdout(ERRORS);
    const line = '[0, 1, 4, 9, 16] [49, 64] [4, 9]';
    assert.ok(lines.includes(line), `page: ${json.stdout}`);
    assert.ok(cpythonLines.includes(line), `${PYTHON}: ${cpythonLines}`);
    // os.cpu_count() is the page's navigator.hardwareConcurrency, and multiprocessing agrees.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.ok(lines.includes(`cpus ${cores} True`), json.stdout);
    assert.ok(cpythonLines.some((l) => /^cpus \d+ True$/.test(l)), cpythonLines.join('\n'));
  });
});

function cpythonStdout(source) {
  try {
    return cpythonOutput(source).split('\n');
  } catch (error) {
    return String(error.stdout).split('\n');
  }
}

function cpythonErr(source) {
  try {
    cpythonOutput(source);
  } catch (error) {
    return String(error.stderr);
  }
  return '';
}

const SPIN = `import time
from concurrent.futures import ProcessPoolExecutor


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return seconds


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=2) as executor:
        futures = [executor.submit(spin, 300) for _ in range(2)]
        print("submitted")
        print([f.result() for f in futures])
`;

test('Stop during a pool run stops the program and its children', { timeout: 180_000 }, async () => {
  await withApp(`/python?code=${encodeCode(SPIN)}&run=1`, async ({ page }) => {
    // While the children start (seconds, on a fresh page) the program waits for them.
    await waitForPyStatus(page, 'running', 60_000);
    await page.waitForTimeout(500);
    await page.locator(testId('py-stop')).click();
    const early = await waitForPyStatus(page, ['stopped', 'done', 'error'], 20_000);
    assert.equal(early.status, 'stopped', JSON.stringify(early));
    assert.equal(early.exception?.type, 'KeyboardInterrupt');
    assert.equal(await page.locator(testId('py-replaced')).count(), 0, 'Stop reached the program while children started');

    await page.locator(testId('py-run')).click();
    // The parent prints once both children took their tasks, then waits.
    await page.locator(testId('py-output')).getByText('submitted').waitFor({ timeout: 120_000 });
    await page.locator(testId('py-stop')).click();
    const json = await waitForPyStatus(page, ['stopped', 'done', 'error'], 20_000);
    assert.equal(json.status, 'stopped', JSON.stringify(json));
    assert.equal(json.exception.type, 'KeyboardInterrupt');
    assert.equal(json.exception.line, 16);
    assert.equal(await page.locator(testId('py-replaced')).count(), 0, 'Stop reached the waiting parent');
    // The busy children were ended: the next pool starts its two interpreters afresh.
    await page.locator(testId('preset-process-pool-small')).click();
    await page.locator(testId('py-run')).click();
    await waitForPyStatus(page, 'running', 10_000);
    const next = await waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
    assert.equal(next.status, 'done', next.stderr);
    assert.ok(next.pool.startups.length >= 1);
    assert.ok(next.pool.startups.every((s) => s.cold), `a stopped child was reused: ${JSON.stringify(next.pool.startups)}`);
  });
});
