import test from 'node:test';
import { withApp, waitForStatus, assertNoPageErrors } from '../lib.mjs';
import { assertCpuRun, assertUrlKeeps, CPYTHON_RESULTS, FOUR_TASKS, FOUR_TASK_RANGES } from './support.mjs';

test('CPU lab share link, parallel k=2, 2M iterations, matches CPython', { timeout: 120_000 }, async () => {
  const config = { mode: 'parallel', k: '2', iters: '2000000', tasks: FOUR_TASKS };
  const link = `/cpu?mode=parallel&k=2&iters=2000000&tasks=${FOUR_TASKS}&run=1`;
  await withApp(link, async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 60_000);
    assertCpuRun(json, {
      mode: 'parallel',
      iterations: 2_000_000,
      ranges: FOUR_TASK_RANGES,
      results: CPYTHON_RESULTS[2_000_000],
      workers: [0, 1],
    });
    assertUrlKeeps(page.url(), config);
    assertNoPageErrors(page);
  });
});

test('CPU lab share link, one worker, 1000 iterations, matches CPython', { timeout: 120_000 }, async () => {
  // Same link as above with mode=worker and 1000 iterations. k means nothing
  // for a single worker, so the app may drop it from the URL: not checked.
  const config = { mode: 'worker', iters: '1000', tasks: FOUR_TASKS };
  const link = `/cpu?mode=worker&k=2&iters=1000&tasks=${FOUR_TASKS}&run=1`;
  await withApp(link, async ({ page }) => {
    const json = await waitForStatus(page, ['done'], 60_000);
    assertCpuRun(json, {
      mode: 'worker',
      iterations: 1000,
      ranges: FOUR_TASK_RANGES,
      results: CPYTHON_RESULTS[1000],
      workers: [0, 1],
    });
    assertUrlKeeps(page.url(), config);
    assertNoPageErrors(page);
  });
});
