import test from 'node:test';
import { withApp, waitForStatus, assertNoPageErrors } from '../lib.mjs';
import { assertCpuRun, assertUrlKeeps, CPYTHON_RESULTS, FOUR_TASKS, FOUR_TASK_RANGES } from './support.mjs';

// Each link runs by itself (run=1); the results must equal CPython's, and the address bar
// must keep the settings. The second link carries k=2, which means nothing for a single
// worker, so the app may drop it from the URL: it is not in `keeps`.
const CASES = [
  {
    name: 'parallel k=2, 2M iterations',
    link: `/cpu?mode=parallel&k=2&iters=2000000&tasks=${FOUR_TASKS}&run=1`,
    keeps: { mode: 'parallel', k: '2', iters: '2000000', tasks: FOUR_TASKS },
    iterations: 2_000_000,
  },
  {
    name: 'one worker, 1000 iterations',
    link: `/cpu?mode=worker&k=2&iters=1000&tasks=${FOUR_TASKS}&run=1`,
    keeps: { mode: 'worker', iters: '1000', tasks: FOUR_TASKS },
    iterations: 1000,
  },
];

for (const c of CASES) {
  test(`CPU lab share link, ${c.name}, matches CPython`, { timeout: 120_000 }, async () => {
    await withApp(c.link, async ({ page }) => {
      const json = await waitForStatus(page, ['done'], 60_000);
      assertCpuRun(json, {
        mode: c.keeps.mode,
        iterations: c.iterations,
        ranges: FOUR_TASK_RANGES,
        results: CPYTHON_RESULTS[c.iterations],
        workers: [0, 1],
      });
      assertUrlKeeps(page.url(), c.keeps);
      assertNoPageErrors(page);
    });
  });
}
