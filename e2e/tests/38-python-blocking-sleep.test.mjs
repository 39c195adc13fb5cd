// time.sleep blocks in CPython. Pyodide, with stack switching, would turn it into an
// asyncio sleep and let two gathered coroutines overlap; the lab restores the blocking one.
// And what a program prints reaches the page while it runs, not at its end.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, waitFor } from '../lib.mjs';
import { encodeCode, waitForPyStatus, cpythonOutput } from './python-helpers.mjs';

const PROGRAM = `import asyncio, time

async def nap(name):
    time.sleep(0.3)
    print(name, "woke")

async def main():
    start = time.perf_counter()
    await asyncio.gather(nap("a"), nap("b"))
    print(f"elapsed {time.perf_counter() - start:.1f}")

asyncio.run(main())
`;

test('time.sleep in two gathered coroutines takes the sum of the sleeps', { timeout: 90_000 }, async () => {
  await withApp(`/python?code=${encodeCode(PROGRAM)}&run=1`, async ({ page }) => {
    const json = await waitForPyStatus(page, ['done', 'error'], 60_000);
    assert.equal(json.status, 'done', JSON.stringify(json));
    assert.equal(json.preset, null);
    assert.ok(json.wallMs >= 600, `two blocking sleeps of 0.3 s took ${json.wallMs} ms`);
    assert.equal(json.stdout, cpythonOutput(PROGRAM));
    // Each nap is one step of at least 300 ms: the loop was blocked for both.
    assert.ok(json.loopBlockedMs >= 600, `loopBlockedMs ${json.loopBlockedMs}`);
    const naps = json.tasks.filter((t) => t.name !== 'Task-1');
    assert.equal(naps.length, 2);
    const [a, b] = naps.map((t) => t.segments.find(([s, e]) => e - s >= 290));
    assert.ok(a && b && a[1] <= b[0] + 0.5, `the naps overlapped: ${JSON.stringify(naps)}`);
  });
});

test('output streams while the program runs', { timeout: 90_000 }, async () => {
  const program = 'import asyncio\n\nasync def main():\n    print("first", flush=True)\n    await asyncio.sleep(5)\n    print("second")\n\nasyncio.run(main())\n';
  await withApp(`/python?code=${encodeCode(program)}&run=1`, async ({ page }) => {
    // print() writes "first" and "\n" separately, and they may arrive in two messages.
    const json = await waitFor(
      async () => {
        const j = JSON.parse(await page.locator('[data-testid="results-json"]').textContent());
        return j.stdout === 'first\n' || ['done', 'error', 'stopped'].includes(j.status) ? j : null;
      },
      { timeout: 60_000, message: 'the first line' },
    );
    assert.equal(json.status, 'running', 'the first line came only at the end of the run');
    assert.equal(json.stdout, 'first\n');
    assert.match(await page.locator('[data-testid="py-output"]').innerText(), /^first\s*$/);
    await page.locator('[data-testid="py-stop"]').click();
    const stopped = await waitForPyStatus(page, 'stopped', 10_000);
    assert.equal(stopped.stdout, 'first\n', 'what was printed before Stop is kept');
  });
});
