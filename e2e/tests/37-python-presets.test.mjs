// Every preset of the Python lab, opened by its link with run=1, prints what CPython 3.11
// prints for the same program (timings masked), and each shows what it is there to show.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withApp, testId } from '../lib.mjs';
import { programSource, cpythonOutput, maskTimes, waitForPyStatus, PYTHON } from './python-helpers.mjs';

const PRESETS = ['gather-pitfall', 'taskgroup-vs-gather', 'semaphore-2', 'queue-pipeline', 'blocking-call', 'to-thread', 'cpu-seq'];

test('each preset prints what CPython prints, and shows its point', { timeout: 300_000 }, async () => {
  await withApp('/', async (app) => {
    const { page } = app;
    for (const id of PRESETS) {
      await app.goto(`/python?preset=${id}&run=1`);
      const json = await waitForPyStatus(page, ['done', 'error', 'stopped'], 120_000);
      const dump = JSON.stringify({ ...json, stdout: json.stdout.slice(0, 3000) });
      assert.equal(json.status, 'done', `${id}: ${dump}`);
      assert.equal(json.lab, 'python');
      assert.equal(json.preset, id, `${id}: ${dump}`);
      assert.match(json.python, /^3\.14\./, `${id}: python ${json.python}`);
      assert.equal(json.stderr, '', `${id}: stderr`);
      const expected = cpythonOutput(programSource(id));
      assert.equal(maskTimes(json.stdout), maskTimes(expected), `${id}: stdout differs from ${PYTHON}'s`);
      // What the page shows is what the JSON says.
      assert.equal((await page.locator(testId('py-output')).innerText()).trim(), json.stdout.trim(), `${id}: output pane`);

      const lines = json.stdout.trim().split('\n');
      if (id === 'gather-pitfall') {
        const creation = Number(/^main took (\S+) s$/.exec(lines[0])?.[1]);
        const whole = Number(/took (\S+) s$/.exec(lines.at(-1))?.[1]);
        assert.ok(creation < 0.001, `the decorator timed ${creation} s: ${lines[0]}`);
        assert.ok(whole >= 0.8, `the run took ${whole} s, less than its slowest request: ${lines.at(-1)}`);
        assert.equal(json.tasks.length, 16, `main and 15 requests: ${json.tasks.map((t) => t.name)}`);
        assert.deepEqual(json.tasks.map((t) => t.name), Array.from({ length: 16 }, (_, i) => `Task-${i + 1}`));
        assert.ok(await page.locator(testId('py-note')).isVisible());
      }
      if (id === 'semaphore-2') {
        const verdict = await page.locator(testId('py-semaphore-verdict')).innerText();
        assert.match(verdict, /Line for line the same/, verdict);
        assert.match(verdict, /At most 2 held/, verdict);
      }
      if (id === 'queue-pipeline') {
        assert.equal(lines.at(-1), '[0.4, 0.8, 1.2000000000000002, 0.6000000000000001, 1.0, 1.4000000000000001, 1.8]');
        assert.deepEqual(json.tasks.map((t) => t.name), ['Task-1', 'producer', 'transformer', 'saver']);
      }
      if (id === 'blocking-call') {
        // The blocker's time.sleep(1) is one step of about a second: drawn, and counted.
        assert.ok(json.loopBlockedMs >= 950, `loopBlockedMs ${json.loopBlockedMs}`);
        const blocker = json.tasks.find((t) => t.name === 'blocker');
        assert.ok(blocker.segments.some(([a, b]) => b - a >= 950), JSON.stringify(blocker));
        assert.ok((await page.locator(testId('py-blocked')).count()) >= 1, 'no blocked stretch drawn');
        const gap = Number(/gap between ticks: (\S+) s/.exec(json.stdout)?.[1]);
        assert.ok(gap >= 0.95, `the ticker's longest gap was ${gap} s`);
      }
      if (id === 'to-thread') {
        // The five 0.5 s calls sleep at once on the default executor's threads, as in
        // CPython: one after another would be 2.5 s.
        const took = Number(/took (\S+) s$/.exec(lines.at(-1))?.[1]);
        assert.ok(took >= 0.5 && took < 2.0, `five blocking calls took ${took} s`);
        assert.deepEqual(json.threads.threads.map((t) => t.name), ['MainThread', 'asyncio_0', 'asyncio_1', 'asyncio_2', 'asyncio_3', 'asyncio_4']);
        assert.match(await page.locator(testId('py-note')).innerText(), /named as CPython's default executor is/);
      }
      if (id === 'cpu-seq') {
        assert.equal(lines[0], '(2, 38) -> 1481646940');
        assert.equal((await page.locator(testId('py-no-tasks')).count()), 1, 'a program without tasks says so');
      }
      if (json.tasks.length > 0) {
        assert.ok((await page.locator(testId('py-bar')).count()) >= 1, `${id}: no bars in the timeline`);
        for (const t of json.tasks) {
          for (const [a, b] of t.segments) assert.ok(0 <= a && a <= b && b <= json.wallMs + 1, `${id}: ${t.name} [${a}, ${b}] of ${json.wallMs}`);
        }
      }
    }
  });
});
